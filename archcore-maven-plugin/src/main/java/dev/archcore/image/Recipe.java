package dev.archcore.image;

import java.util.List;

/**
 * What an image is for. {@code APP}: the minimal image of an app package (nothing added). {@code BASE}: what Arch's
 * own container build does after installing (archlinux-docker's make-rootfs.sh): host files left out, an empty
 * package cache, the ca-certificates bundle extracted, the pacman keyring initialised, so {@code pacman -Syu}
 * works inside. {@code BUILDER}: the base plus an unprivileged build user and a makepkg.conf set up for it.
 *
 * @param keyringSeed secret bytes the keyring's master key is derived from (base and builder only); see
 *                    {@link ImageKeyring}
 */
public record Recipe(Kind kind, byte[] keyringSeed) {
    public enum Kind { APP, BASE, BUILDER }

    public static final Recipe APP = new Recipe(Kind.APP, null);

    public Recipe {
        if (kind != Kind.APP && (keyringSeed == null || keyringSeed.length < 16)) {
            throw new ImageBuildException("the " + kind.name().toLowerCase() + " recipe needs a keyring seed of at "
                    + "least 16 secret bytes");
        }
    }

    public static Recipe base(byte[] keyringSeed) {
        return new Recipe(Kind.BASE, keyringSeed);
    }

    public static Recipe builder(byte[] keyringSeed) {
        return new Recipe(Kind.BUILDER, keyringSeed);
    }

    /**
     * Never installed: files that belong to the host or the container engine (archlinux-docker's {@code exclude}
     * list), caches, and whatever a package ships in the keyring directory (it is generated).
     */
    List<String> noExtract() {
        return kind == Kind.APP ? List.of() : List.of("etc/machine-id", "etc/hostname", "etc/resolv.conf",
                "var/cache/pacman/pkg/?*", "var/lib/pacman/sync/?*", "etc/pacman.d/gnupg/?*", "tmp/?*");
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase();
    }
}
