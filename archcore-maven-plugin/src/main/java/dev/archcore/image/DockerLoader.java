package dev.archcore.image;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.command.LoadImageCallback;
import com.github.dockerjava.api.model.LoadResponseItem;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import dev.archcore.util.Log;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Loads a docker-archive into a Docker-compatible engine (what {@code docker load -i} does) over its API,
 * at {@code dockerHost} or, when null, {@code DOCKER_HOST} / the default socket. Afterwards it checks that the
 * engine has the reference with the expected image id (the config digest), so a silently failed load is caught.
 */
public final class DockerLoader {
    private DockerLoader() {
    }

    /** Returns the image id the engine reports for {@code reference}. */
    public static String load(Path archive, String reference, String expectedId, String dockerHost, Log log) {
        Log out = log == null ? Log.NONE : log;
        DefaultDockerClientConfig.Builder builder = DefaultDockerClientConfig.createDefaultConfigBuilder();
        if (dockerHost != null) {
            builder.withDockerHost(dockerHost);
        }
        DefaultDockerClientConfig config = builder.build();
        String host = config.getDockerHost().toString();
        DockerHttpClient http = new ZerodepDockerHttpClient.Builder().dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig()).connectionTimeout(Duration.ofSeconds(10))
                .responseTimeout(Duration.ofMinutes(30)).build();
        try (DockerClient docker = DockerClientImpl.getInstance(config, http)) {
            try {
                docker.pingCmd().exec();
            } catch (RuntimeException e) {
                throw new ImageBuildException("no Docker engine answers at " + host + " (" + rootCause(e) + "); start "
                        + "one, or point DOCKER_HOST (or the plugin's dockerHost) at a running engine, or skip loading "
                        + "and use the OCI layout or docker-archive written to disk", e);
            }
            try (InputStream in = Files.newInputStream(archive)) {
                docker.loadImageAsyncCmd(in).exec(new LoadImageCallback() {
                    @Override
                    public void onNext(LoadResponseItem item) {
                        if (item.getErrorDetail() != null) {
                            throw new ImageBuildException("the engine at " + host + " refused " + archive + ": "
                                    + item.getErrorDetail().getMessage());
                        }
                        if (item.getStream() != null && !item.getStream().isBlank()) {
                            out.info(item.getStream().strip());
                        }
                    }
                }).awaitCompletion();
            }
            InspectImageResponse image;
            try {
                image = docker.inspectImageCmd(reference).exec();
            } catch (RuntimeException e) {
                throw new ImageBuildException("the engine at " + host + " loaded " + archive + " but has no image "
                        + reference + " afterwards (" + rootCause(e) + ")", e);
            }
            if (expectedId != null && !expectedId.equals(image.getId())) {
                throw new ImageBuildException("the engine at " + host + " has " + reference + " as " + image.getId()
                        + ", not the image just built (" + expectedId + ")");
            }
            out.info("loaded " + reference + " (" + image.getId() + ") into the engine at " + host);
            return image.getId();
        } catch (IOException e) {
            throw new ImageBuildException("cannot load " + archive + " into the engine at " + host + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageBuildException("interrupted while loading " + archive, e);
        }
    }

    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
