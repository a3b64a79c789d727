package dev.archcore.maven;

import org.apache.maven.artifact.Artifact;
import org.apache.maven.plugin.MojoExecutionException;
import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.RepositorySystemSession;
import org.eclipse.aether.artifact.DefaultArtifact;
import org.eclipse.aether.collection.CollectRequest;
import org.eclipse.aether.graph.Dependency;
import org.eclipse.aether.repository.RemoteRepository;
import org.eclipse.aether.resolution.ArtifactResult;
import org.eclipse.aether.resolution.DependencyRequest;
import org.eclipse.aether.resolution.DependencyResolutionException;
import org.eclipse.aether.transfer.ArtifactTransferException;
import org.eclipse.aether.util.artifact.JavaScopes;
import org.eclipse.aether.util.filter.DependencyFilterUtils;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * docker-java's jars for archcore:load, resolved through Maven's own resolver (the session's local repository,
 * mirrors, proxies and offline mode) only when a load runs: the plugin does not depend on docker-java at run time,
 * so Maven does not build its jars into the plugin's realm before every goal.
 *
 * <p>The versions are the ones the plugin's build resolved and tested with, in
 * {@code META-INF/archcore/dependency-versions.txt} (maven-dependency-plugin's list, written at build time): the two
 * roots come from it and every transitive dependency is managed to it, so a load uses exactly the tested jars.
 * Artifacts the plugin's realm already has (Jackson, Bouncy Castle, commons-io) keep the realm's version and are
 * left out of the result: the loader takes them from the realm.
 */
final class DockerJavaClasspath {
    static final String VERSIONS = "/META-INF/archcore/dependency-versions.txt";
    static final String GROUP = "com.github.docker-java";
    static final List<String> ROOTS = List.of("docker-java-core", "docker-java-transport-zerodep");

    private DockerJavaClasspath() {
    }

    /**
     * The jar files of docker-java and of its dependencies the plugin's realm lacks.
     *
     * @param realm the plugin's own artifacts (its descriptor's), whose versions win and which are left out
     */
    static List<Path> resolve(RepositorySystem system, RepositorySystemSession session,
                              List<RemoteRepository> repositories, Collection<Artifact> realm)
            throws MojoExecutionException {
        Map<String, DefaultArtifact> versions = buildVersions();
        Set<String> inRealm = realm.stream().map(a -> a.getGroupId() + ":" + a.getArtifactId()).collect(Collectors.toSet());
        for (Artifact a : realm) {
            versions.put(a.getGroupId() + ":" + a.getArtifactId(), new DefaultArtifact(a.getGroupId(), a.getArtifactId(),
                    a.getClassifier(), a.getArtifactHandler() == null ? "jar" : a.getArtifactHandler().getExtension(),
                    a.getVersion()));
        }
        CollectRequest collect = new CollectRequest();
        List<String> roots = new ArrayList<>();
        for (String id : ROOTS) {
            DefaultArtifact root = versions.get(GROUP + ":" + id);
            if (root == null) {
                throw new MojoExecutionException("the plugin's " + VERSIONS + " names no " + GROUP + ":" + id
                        + ": the plugin jar is damaged or not built by its own pom; rebuild it");
            }
            collect.addDependency(new Dependency(root, JavaScopes.COMPILE));
            roots.add(root.getGroupId() + ":" + root.getArtifactId() + ":" + root.getVersion());
        }
        for (DefaultArtifact managed : versions.values()) {
            collect.addManagedDependency(new Dependency(managed, null));
        }
        collect.setRepositories(repositories);
        List<ArtifactResult> results;
        try {
            results = system.resolveDependencies(session, new DependencyRequest(collect,
                    DependencyFilterUtils.classpathFilter(JavaScopes.RUNTIME))).getArtifactResults();
        } catch (DependencyResolutionException e) {
            throw new MojoExecutionException(missing(session, roots, e), e);
        }
        List<Path> jars = new ArrayList<>();
        for (ArtifactResult r : results) {
            org.eclipse.aether.artifact.Artifact a = r.getArtifact();
            if (!inRealm.contains(a.getGroupId() + ":" + a.getArtifactId())) {
                jars.add(a.getFile().toPath());
            }
        }
        return jars;
    }

    /** groupId:artifactId to the artifact at the version the build used, from maven-dependency-plugin's list. */
    static Map<String, DefaultArtifact> buildVersions() throws MojoExecutionException {
        Map<String, DefaultArtifact> versions = new LinkedHashMap<>();
        try (InputStream in = DockerJavaClasspath.class.getResourceAsStream(VERSIONS)) {
            if (in == null) {
                throw new MojoExecutionException("the plugin jar has no " + VERSIONS + ": it was not built by its own "
                        + "pom (maven-dependency-plugin writes it in generate-resources); rebuild the plugin");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = reader.readLine()) != null; ) {
                // "   g:a:type[:classifier]:version -- module m": the resolved line's coordinates
                String coordinates = line.strip().split(" ", 2)[0];
                String[] p = coordinates.split(":");
                if (p.length != 4 && p.length != 5) {
                    continue;
                }
                DefaultArtifact a = new DefaultArtifact(p[0], p[1], p.length == 5 ? p[3] : "", p[2], p[p.length - 1]);
                versions.put(p[0] + ":" + p[1], a);
            }
        } catch (IOException e) {
            throw new MojoExecutionException("cannot read the plugin's " + VERSIONS + ": " + e.getMessage(), e);
        }
        return versions;
    }

    private static String missing(RepositorySystemSession session, List<String> roots, DependencyResolutionException e) {
        String artifact = null;
        for (Throwable t = e; t != null && artifact == null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ArtifactTransferException transfer && transfer.getArtifact() != null) {
                artifact = transfer.getArtifact().toString();
            }
        }
        if (artifact == null && e.getResult() != null) {
            for (ArtifactResult r : e.getResult().getArtifactResults()) {
                if (!r.isResolved()) {
                    artifact = r.getRequest().getArtifact().toString();
                    break;
                }
            }
        }
        String what = "archcore:load runs docker-java (" + String.join(" and ", roots) + ", with its dependencies), "
                + "which the plugin resolves only when it loads, and "
                + (artifact == null ? "part of it" : artifact) + " is not in the local repository "
                + session.getLocalRepository().getBasedir();
        String get = roots.stream().map(r -> "mvn dependency:get -Dartifact=" + r).collect(Collectors.joining(" and "));
        if (session.isOffline()) {
            return what + " and Maven is offline (-o). Run the build once without -o so Maven downloads it (the other "
                    + "archcore goals do not need it), or fetch it with " + get + ", then build offline again.";
        }
        return what + " and it could not be downloaded (" + e.getMessage() + "). Check the repositories and mirrors "
                + "in settings.xml and the network, or fetch it with " + get + ".";
    }
}
