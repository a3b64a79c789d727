package dev.archcore.repo;

import dev.archcore.repo.PacmanConf.Preset;
import dev.archcore.repo.PacmanConf.Repository;
import dev.archcore.testing.PacmanCli;
import dev.archcore.testing.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our pacman.conf reading against {@code pacman-conf} (pacman 6.0.2's own parser, printing what it understood):
 * architectures, SigLevels as merged for each repository, ignore lists, NoExtract, CacheDir, GPGDir, repositories
 * in order and their servers with the variables filled in.
 */
class PacmanConfDifferentialTest {
    private static final String[] SIG_WORDS = {"Never", "Optional", "Required", "TrustedOnly", "TrustAll"};

    @TempDir
    Path dir;

    @Test
    void readsPacmanConfLikePacmanConf() throws IOException {
        Tools.require("pacman-conf");
        Files.writeString(dir.resolve("mirrorlist"), "# generated\n\nServer = https://a.example/archlinux/$repo/os/$arch\r\n"
                + "   Server   =   https://b.example/$arch/$repo   \n");
        Files.createDirectories(dir.resolve("d"));
        Files.writeString(dir.resolve("d/extra.conf"), "SigLevel = PackageTrustAll\nServer = file:///srv/$repo/$arch\n"
                + "[community]\nServer = http://c.example/$repo\n");
        Files.writeString(dir.resolve("d/options.conf"), "IgnorePkg = from-include\nArchitecture = i686\n");

        List<String> confs = new ArrayList<>(List.of(
                """
                [options]
                Architecture = auto x86_64_v3
                SigLevel = Required DatabaseOptional
                LocalFileSigLevel = Optional
                IgnorePkg = linux* glibc
                IgnorePkg   =   gcc
                IgnoreGroup = gnome kde
                NoExtract = usr/share/doc/* !usr/share/doc/keep/*
                CacheDir = /var/cache/a /var/cache/b
                GPGDir = /etc/gnupg-x
                HoldPkg = pacman glibc
                UseSyslog
                [core]
                Include = mirrorlist
                [extra]
                SigLevel = DatabaseNever
                Include = %s/d/extra.conf
                [testing]
                Usage = Sync
                SigLevel = Never
                Server = http://t.example/$repo/os/$arch
                """.formatted(dir),
                """
                [core]
                SigLevel = PackageOptional TrustAll
                Server = http://a/$repo
                [options]
                SigLevel = DatabaseRequired
                Include = d/options.conf
                [extra]
                Server = http://a/$repo/$arch
                """,
                "[options]\nArchitecture = armv7h\nCacheDir = /c\nCacheDir = /d\n[alarm]\nServer = http://m/$arch/$repo\n",
                "  # indented comment\n[options]\n\tArchitecture=x86_64\n  SigLevel=Never\n[core]\nServer=file:///x\n"));
        Random random = new Random(42);
        for (int i = 0; i < 30; i++) {
            confs.add("[options]\nArchitecture = x86_64\n" + sigLevel(random, "SigLevel") + sigLevel(random, "LocalFileSigLevel")
                    + "[a]\n" + sigLevel(random, "SigLevel") + "Server = http://a/$repo\n[b]\nServer = http://b/$repo\n"
                    + "[c]\n" + sigLevel(random, "SigLevel") + sigLevel(random, "SigLevel") + "Server = http://c/$repo\n");
        }
        for (Preset p : Preset.values()) {
            confs.add(p.text());
        }

        int compared = 0;
        for (String text : confs) {
            Path conf = dir.resolve("pacman-" + compared++ + ".conf");
            Files.writeString(conf, text);
            // pacman resolves a relative Include against its working directory, archcore against the file's
            PacmanCli.Output out = PacmanCli.run(dir, "pacman-conf", "--config", conf.toString()).ok("pacman-conf " + conf);
            assertThat(render(PacmanConf.read(conf))).as("%s:\n%s", conf, text).isEqualTo(relevant(out.lines()));
        }
        System.out.println("pacman.conf differential: " + compared + " files agree with pacman-conf");
    }

    private static String sigLevel(Random random, String directive) {
        int count = random.nextInt(3);
        if (count == 0) {
            return "";
        }
        StringBuilder line = new StringBuilder(directive).append(" =");
        for (int i = 0; i < count; i++) {
            String prefix = switch (random.nextInt(3)) {
                case 0 -> "Package";
                case 1 -> "Database";
                default -> "";
            };
            if (directive.equals("LocalFileSigLevel") && prefix.equals("Database")) {
                prefix = "Package";
            }
            line.append(' ').append(prefix).append(SIG_WORDS[random.nextInt(SIG_WORDS.length)]);
        }
        return line.append('\n').toString();
    }

    /** The directives we read, from pacman-conf's output; a repository without SigLevel lines uses the global one. */
    private static List<String> relevant(List<String> lines) {
        Map<String, List<String>> options = new LinkedHashMap<>();
        List<String> out = new ArrayList<>();
        String section = null;
        List<String> repoLines = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("[")) {
                flushRepo(section, repoLines, options, out);
                section = line;
                repoLines.clear();
                continue;
            }
            int eq = line.indexOf(" = ");
            String key = eq < 0 ? line : line.substring(0, eq);
            if ("[options]".equals(section)) {
                options.computeIfAbsent(key, k -> new ArrayList<>()).add(line);
            } else if (key.equals("Server") || key.equals("SigLevel")) {
                repoLines.add(line);
            }
        }
        flushRepo(section, repoLines, options, out);
        List<String> all = new ArrayList<>();
        for (String key : List.of("Architecture", "SigLevel", "LocalFileSigLevel", "IgnorePkg", "IgnoreGroup", "NoExtract",
                "CacheDir", "GPGDir")) {
            List<String> values = options.getOrDefault(key, List.of());
            if (key.equals("LocalFileSigLevel") && values.isEmpty()) {
                // unset means "use the default SigLevel" in libalpm
                values = options.getOrDefault("SigLevel", List.of()).stream().filter(l -> l.contains("Package"))
                        .map(l -> "Local" + "File" + l).toList();
            }
            all.addAll(values);
        }
        all.addAll(out);
        return all;
    }

    private static void flushRepo(String section, List<String> repoLines, Map<String, List<String>> options, List<String> out) {
        if (section == null || section.equals("[options]")) {
            return;
        }
        out.add(section);
        if (repoLines.stream().noneMatch(l -> l.startsWith("SigLevel"))) {
            out.addAll(options.getOrDefault("SigLevel", List.of()));
        }
        out.addAll(repoLines);
    }

    /** Our reading in pacman-conf's words. */
    private static List<String> render(PacmanConf c) {
        List<String> lines = new ArrayList<>();
        c.architectures().forEach(a -> lines.add("Architecture = " + a));
        lines.addAll(sigLevel("SigLevel", c.sigLevel(), false));
        lines.addAll(sigLevel("LocalFileSigLevel", c.localFileSigLevel(), true));
        c.ignorePkg().forEach(v -> lines.add("IgnorePkg = " + v));
        c.ignoreGroup().forEach(v -> lines.add("IgnoreGroup = " + v));
        c.noExtract().forEach(v -> lines.add("NoExtract = " + v));
        (c.cacheDirs().isEmpty() ? List.of("/var/cache/pacman/pkg/") : c.cacheDirs()).forEach(v -> lines.add("CacheDir = " + v));
        lines.add("GPGDir = " + c.gpgDir().orElse("/etc/pacman.d/gnupg/"));
        for (Repository r : c.repositories()) {
            lines.add("[" + r.name() + "]");
            lines.addAll(sigLevel("SigLevel", r.sigLevel(), false));
            r.servers().forEach(s -> lines.add("Server = " + s));
        }
        return lines;
    }

    /** pacman-conf's show_siglevel. */
    private static List<String> sigLevel(String directive, SigLevel level, boolean packageOnly) {
        List<String> lines = new ArrayList<>();
        lines.addAll(part(directive, "Package", level.packages(), level.packagesTrustAll()));
        if (!packageOnly) {
            lines.addAll(part(directive, "Database", level.database(), level.databaseTrustAll()));
        }
        return lines;
    }

    private static List<String> part(String directive, String prefix, SigLevel.Check check, boolean trustAll) {
        if (check == SigLevel.Check.NEVER) {
            return List.of(directive + " = " + prefix + "Never");
        }
        return List.of(directive + " = " + prefix + (check == SigLevel.Check.OPTIONAL ? "Optional" : "Required"),
                directive + " = " + prefix + (trustAll ? "TrustAll" : "TrustedOnly"));
    }
}
