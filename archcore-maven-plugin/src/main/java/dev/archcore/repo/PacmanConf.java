package dev.archcore.repo;

import dev.archcore.util.Log;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a pacman.conf says about where packages come from: {@code [options]} ({@code Architecture},
 * {@code SigLevel}, {@code LocalFileSigLevel}, {@code NoExtract}, {@code IgnorePkg}, {@code IgnoreGroup},
 * {@code GPGDir}, {@code CacheDir}) and the repositories in file order with their servers ({@code $repo} and
 * {@code $arch} filled in) and effective SigLevel. Other directives pacman knows are accepted and ignored;
 * unknown ones end up in {@link #warnings()}.
 */
public final class PacmanConf {
    /** pacman's compiled-in SigLevel when pacman.conf sets none: Optional TrustedOnly for packages and databases. */
    public static final SigLevel BUILT_IN_SIG_LEVEL =
            new SigLevel(SigLevel.Check.OPTIONAL, false, SigLevel.Check.OPTIONAL, false);

    private static final String ARCHIVE = "https://archive.archlinux.org/repos/";

    /**
     * One {@code [repository]} section.
     *
     * @param servers  URLs in file order, variables substituted
     * @param sigLevel the section's SigLevel words applied over the global SigLevel, as pacman merges them
     * @param origin   file and line of the section header, for messages
     */
    public record Repository(String name, List<String> servers, SigLevel sigLevel, String origin) {
        public Repository {
            servers = List.copyOf(servers);
        }
    }

    /** pacman.conf files shipped with archcore (resources under dev/archcore/repo/presets) that users can copy. */
    public enum Preset {
        ARCH_LINUX("archlinux-x86_64.conf", "Arch Linux x86_64"),
        ARCH_LINUX_32("archlinux32-i686.conf", "Arch Linux 32 i686"),
        ARCH_LINUX_ARM("archlinuxarm-aarch64.conf", "Arch Linux ARM aarch64");

        private final String file;
        private final String title;

        Preset(String file, String title) {
            this.file = file;
            this.title = title;
        }

        public String resource() {
            return "/dev/archcore/repo/presets/" + file;
        }

        public String title() {
            return title;
        }

        /** The pacman.conf text, as a user would copy it next to the pom. */
        public String text() {
            try (InputStream in = PacmanConf.class.getResourceAsStream(resource())) {
                if (in == null) {
                    throw new IllegalStateException("resource " + resource() + " is missing from the archcore jar");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private final String source;
    private final List<String> architectures;
    private final SigLevel sigLevel;
    private final SigLevel localFileSigLevel;
    private final List<String> noExtract;
    private final List<String> ignorePkg;
    private final List<String> ignoreGroup;
    private final List<String> cacheDirs;
    private final String gpgDir;
    private final List<Repository> repositories;
    private final List<String> warnings;
    private final int parallelDownloads;

    PacmanConf(String source, List<String> architectures, SigLevel sigLevel, SigLevel localFileSigLevel,
               List<String> noExtract, List<String> ignorePkg, List<String> ignoreGroup, List<String> cacheDirs,
               String gpgDir, List<Repository> repositories, List<String> warnings, int parallelDownloads) {
        this.source = source;
        this.architectures = List.copyOf(architectures);
        this.sigLevel = sigLevel;
        this.localFileSigLevel = localFileSigLevel;
        this.noExtract = List.copyOf(noExtract);
        this.ignorePkg = List.copyOf(ignorePkg);
        this.ignoreGroup = List.copyOf(ignoreGroup);
        this.cacheDirs = List.copyOf(cacheDirs);
        this.gpgDir = gpgDir;
        this.repositories = List.copyOf(repositories);
        this.warnings = List.copyOf(warnings);
        this.parallelDownloads = parallelDownloads;
    }

    /** Reads a pacman.conf; a relative {@code Include} is resolved against the directory of the including file. */
    public static PacmanConf read(Path file) {
        return read(file, Log.NONE);
    }

    public static PacmanConf read(Path file, Log log) {
        return PacmanConfParser.parseFile(file, log);
    }

    /**
     * Parses pacman.conf text; {@code sourceName} names it in messages and {@code baseDir} is where relative
     * {@code Include} paths start (null: the working directory, as pacman does).
     */
    public static PacmanConf parse(String text, String sourceName, Path baseDir) {
        return PacmanConfParser.parseText(text, sourceName, baseDir, Log.NONE);
    }

    public static PacmanConf preset(Preset preset) {
        return parse(preset.text(), preset.resource(), null);
    }

    /** Arch Linux x86_64: core and extra (multilib is in the file, commented out). */
    public static PacmanConf archLinux() {
        return preset(Preset.ARCH_LINUX);
    }

    /** Arch Linux x86_64 as the Arch Linux Archive kept it on {@code day}. */
    public static PacmanConf archLinux(LocalDate day) {
        return archLinux().withSnapshot(day);
    }

    /** Arch Linux 32 i686: core, extra and community. */
    public static PacmanConf archLinux32() {
        return preset(Preset.ARCH_LINUX_32);
    }

    /** Arch Linux ARM aarch64: core, extra and alarm. */
    public static PacmanConf archLinuxArm() {
        return preset(Preset.ARCH_LINUX_ARM);
    }

    /**
     * The same configuration with every Arch Linux repository (a server in the {@code .../$repo/os/$arch} layout)
     * served from the Arch Linux Archive as it was on {@code day}, so a build resolves the same packages on any
     * later date. Repositories with other servers (file://, your own) are kept; Arch Linux 32 and Arch Linux ARM
     * repositories ({@code .../$arch/$repo}) are an error, since no archive of them is known.
     */
    public PacmanConf withSnapshot(LocalDate day) {
        String arch = architectures.isEmpty() ? "" : architectures.get(0);
        String date = String.format(Locale.ROOT, "%04d/%02d/%02d", day.getYear(), day.getMonthValue(), day.getDayOfMonth());
        List<Repository> mapped = new ArrayList<>();
        boolean any = false;
        for (Repository r : repositories) {
            if (r.servers().stream().anyMatch(s -> s.endsWith("/" + arch + "/" + r.name()))) {
                throw new PacmanConfException(r.origin() + ": [" + r.name() + "] is served in the Arch Linux 32 / "
                        + "Arch Linux ARM layout (" + r.servers().get(0) + "), and no archive of those is known; "
                        + "remove the snapshot date or pin the packages another way.");
            }
            boolean archLinux = r.servers().stream()
                    .anyMatch(s -> s.startsWith("http") && s.endsWith("/" + r.name() + "/os/" + arch));
            if (!archLinux) {
                mapped.add(r);
                continue;
            }
            if (!arch.equals("x86_64")) {
                throw new PacmanConfException(r.origin() + ": the Arch Linux Archive serves x86_64 only, but "
                        + source + " sets Architecture = " + arch + "; remove the snapshot date or use x86_64.");
            }
            any = true;
            mapped.add(new Repository(r.name(), List.of(ARCHIVE + date + "/" + r.name() + "/os/" + arch),
                    r.sigLevel(), r.origin()));
        }
        if (!any) {
            throw new PacmanConfException(source + ": no repository uses an Arch Linux mirror "
                    + "(Server = https://<mirror>/archlinux/$repo/os/$arch), so a snapshot date has nothing to "
                    + "apply to; the Arch Linux Archive covers Arch Linux x86_64 only.");
        }
        return new PacmanConf(source, architectures, sigLevel, localFileSigLevel, noExtract, ignorePkg, ignoreGroup,
                cacheDirs, gpgDir, mapped, warnings, parallelDownloads);
    }

    /** The machine's architecture as {@code uname -m} spells it, what pacman's {@code Architecture = auto} means. */
    public static String machineArchitecture() {
        String arch = System.getProperty("os.arch", "");
        return switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "x86", "i386", "i486", "i586", "i686" -> "i686";
            case "arm64", "aarch64" -> "aarch64";
            default -> arch;
        };
    }

    /** Where this configuration came from: a path or a preset resource. */
    public String source() {
        return source;
    }

    public List<String> architectures() {
        return architectures;
    }

    /** The first {@code Architecture}, the one {@code $arch} stands for. */
    public String architecture() {
        if (architectures.isEmpty()) {
            throw new PacmanConfException(source + " sets no Architecture; add 'Architecture = x86_64' (or the "
                    + "target's architecture) under [options].");
        }
        return architectures.get(0);
    }

    public SigLevel sigLevel() {
        return sigLevel;
    }

    public SigLevel localFileSigLevel() {
        return localFileSigLevel;
    }

    public List<String> noExtract() {
        return noExtract;
    }

    public List<String> ignorePkg() {
        return ignorePkg;
    }

    public List<String> ignoreGroup() {
        return ignoreGroup;
    }

    /** {@code CacheDir} entries; empty means pacman's default {@code /var/cache/pacman/pkg/}. */
    public List<String> cacheDirs() {
        return cacheDirs;
    }

    /** {@code GPGDir}; empty means pacman's default {@code /etc/pacman.d/gnupg/}. */
    public Optional<String> gpgDir() {
        return Optional.ofNullable(gpgDir);
    }

    /** The repositories in file order, which is the order pacman searches them. */
    public List<Repository> repositories() {
        return repositories;
    }

    public Optional<Repository> repository(String name) {
        return repositories.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    /** {@code ParallelDownloads}: how many packages to download at once; empty when pacman.conf does not say. */
    public OptionalInt parallelDownloads() {
        return parallelDownloads > 0 ? OptionalInt.of(parallelDownloads) : OptionalInt.empty();
    }

    /** Directives that were ignored and other things worth telling the user, each naming its file and line. */
    public List<String> warnings() {
        return warnings;
    }
}
