package dev.archcore.maven;

import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugin.logging.Log;
import org.apache.maven.project.MavenProject;

import java.util.Properties;

/**
 * Properties renamed to the {@code archcore.<goal>.<name>} scheme. Maven binds a parameter to one property
 * only, so the old name is read here, where Maven looks for properties (the command line's {@code -D}, system
 * properties, then the pom's), and used with a warning while the new name is not set.
 */
final class RenamedProperties {
    private RenamedProperties() {
    }

    /** The old property's value when only the old name is set (after warning), else null. */
    static String value(MavenSession session, MavenProject project, String oldName, String newName, Log log) {
        if (lookup(session, project, newName) != null) {
            return null;
        }
        String old = lookup(session, project, oldName);
        if (old != null) {
            log.warn(oldName + " is deprecated and will be removed: use " + newName + " (same value) instead.");
        }
        return old;
    }

    private static String lookup(MavenSession session, MavenProject project, String name) {
        if (session != null) {
            for (Properties p : new Properties[] {session.getUserProperties(), session.getSystemProperties()}) {
                if (p != null && p.getProperty(name) != null) {
                    return p.getProperty(name);
                }
            }
        }
        return project == null ? null : project.getProperties().getProperty(name);
    }
}
