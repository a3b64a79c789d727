package dev.archcore.image;

import dev.archcore.util.Log;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs {@link DockerLoader} with docker-java taken from the given jars rather than from the caller's class path:
 * the plugin does not carry docker-java (Maven would build its 11 jars into the plugin's realm before every goal,
 * and only archcore:load uses them), so LoadMojo resolves the jars when it loads and hands them here.
 *
 * <p>The loader is child-first for docker-java's packages and for DockerLoader itself (read from the plugin's own
 * jar, so that its references to docker-java link against these jars), parent-first for everything else: the
 * engine's types the caller shares (Log, ImageBuildException), and Jackson and Bouncy Castle, which the plugin
 * already has at the same versions. Classes the parent lacks (Guava, JNA) come from the jars.
 */
public final class IsolatedDockerLoader {
    private static final String DOCKER_LOADER = "dev.archcore.image.DockerLoader";

    private IsolatedDockerLoader() {
    }

    /** {@link DockerLoader#load} with docker-java from {@code dockerJavaJars}. */
    public static String load(List<Path> dockerJavaJars, Path archive, String reference, String expectedId,
                              String dockerHost, Log log) {
        ClassLoader parent = IsolatedDockerLoader.class.getClassLoader();
        List<URL> urls = new ArrayList<>();
        try {
            urls.add(IsolatedDockerLoader.class.getProtectionDomain().getCodeSource().getLocation());
            for (Path jar : dockerJavaJars) {
                urls.add(jar.toUri().toURL());
            }
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        }
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try (ChildFirst loader = new ChildFirst(urls.toArray(URL[]::new), parent)) {
            thread.setContextClassLoader(loader);
            return (String) Class.forName(DOCKER_LOADER, true, loader)
                    .getMethod("load", Path.class, String.class, String.class, String.class, Log.class)
                    .invoke(null, archive, reference, expectedId, dockerHost, log);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException | IOException e) {
            throw new IllegalStateException("cannot run " + DOCKER_LOADER + " over " + dockerJavaJars + ": " + e, e);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** Whether {@code name} is taken from the jars first: docker-java's classes and DockerLoader's own. */
    static boolean isolated(String name) {
        return name.startsWith("com.github.dockerjava.") || name.equals(DOCKER_LOADER)
                || name.startsWith(DOCKER_LOADER + "$");
    }

    private static final class ChildFirst extends URLClassLoader {
        static {
            ClassLoader.registerAsParallelCapable();
        }

        ChildFirst(URL[] urls, ClassLoader parent) {
            super("archcore-docker-java", urls, parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!isolated(name)) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    c = findClass(name);
                }
                if (resolve) {
                    resolveClass(c);
                }
                return c;
            }
        }
    }
}
