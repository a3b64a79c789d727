package dev.archcore.repo;

import dev.archcore.pacman.InputLimits;
import dev.archcore.util.Bounded;
import dev.archcore.util.Log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * pacman.conf syntax as pacman 6.0's {@code parse_ini} and {@code conf.c} read it: a line whose first
 * non-blank character is {@code #} is a comment (a {@code #} later in a line is kept, as pacman keeps it),
 * {@code [name]} opens a section, {@code Key = value} splits at the first {@code =}, list values split at
 * spaces, and {@code Include} reads another file into the current section.
 */
final class PacmanConfParser {
    private static final int MAX_INCLUDE_DEPTH = 10; // pacman's config_max_recursion
    /** Every directive pacman knows is a word of letters; anything else in an included file means a foreign file. */
    private static final Pattern DIRECTIVE_NAME = Pattern.compile("[A-Za-z]+");

    /** Directives pacman knows that archcore has no use for: accepted silently. */
    private static final Set<String> IGNORED_OPTIONS = Set.of("RootDir", "DBPath", "LogFile", "HookDir", "HoldPkg",
            "NoUpgrade", "XferCommand", "CleanMethod", "RemoteFileSigLevel", "UseSyslog",
            "Color", "NoProgressBar", "CheckSpace", "VerbosePkgLists", "ILoveCandy", "DisableDownloadTimeout",
            "DownloadUser", "DisableSandbox");
    private static final Set<String> IGNORED_REPO_DIRECTIVES = Set.of("Usage", "CacheServer");

    private final Log log;
    private final List<String> warnings = new ArrayList<>();
    private final List<String> architectures = new ArrayList<>();
    private final List<String> sigLevelWords = new ArrayList<>();
    private final List<String> localFileSigLevelWords = new ArrayList<>();
    private final List<String> noExtract = new ArrayList<>();
    private final List<String> ignorePkg = new ArrayList<>();
    private final List<String> ignoreGroup = new ArrayList<>();
    private final List<String> cacheDirs = new ArrayList<>();
    private String gpgDir;
    private int parallelDownloads;
    private final Map<String, RepoSection> repos = new LinkedHashMap<>();

    /** Where parsing stands; shared with included files, so a section opened in a mirrorlist stays open. */
    private String section;
    private RepoSection repo;
    private int depth;

    private static final class RepoSection {
        final String name;
        final String where;
        final List<String[]> servers = new ArrayList<>(); // {template, location}
        final List<String> sigLevelWords = new ArrayList<>();

        RepoSection(String name, String where) {
            this.name = name;
            this.where = where;
        }
    }

    private PacmanConfParser(Log log) {
        this.log = log;
    }

    static PacmanConf parseFile(Path file, Log log) {
        PacmanConfParser parser = new PacmanConfParser(log);
        parser.readFile(file, null);
        return parser.finish(file.toString());
    }

    static PacmanConf parseText(String text, String sourceName, Path baseDir, Log log) {
        PacmanConfParser parser = new PacmanConfParser(log);
        parser.readLines(text, sourceName, baseDir);
        return parser.finish(sourceName);
    }

    private void readFile(Path file, String includedFrom) {
        String text;
        try {
            // bounded: an Include may name any file (/dev/zero, a huge log)
            text = new String(Bounded.readAll(file, InputLimits.PACMAN_CONF, file.toString()), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PacmanConfException((includedFrom == null ? "" : includedFrom + ": ") + "cannot read " + file
                    + " (" + e.getMessage() + "); check the path and its permissions.", e);
        }
        Path dir = file.toAbsolutePath().getParent();
        readLines(text, file.toString(), dir, includedFrom);
    }

    private void readLines(String text, String source, Path baseDir) {
        readLines(text, source, baseDir, null);
    }

    /**
     * @param includedFrom the Include that named this file (null for the top file): a line of it that is not
     *                     pacman.conf syntax is reported by its number, never quoted (it may be any file)
     */
    private void readLines(String text, String source, Path baseDir, String includedFrom) {
        String[] lines = text.split("\n", -1);
        for (int n = 0; n < lines.length; n++) {
            String where = source + " line " + (n + 1);
            String line = lines[n].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                openSection(line, where);
                continue;
            }
            int eq = line.indexOf('=');
            String key = (eq < 0 ? line : line.substring(0, eq)).strip();
            String value = eq < 0 ? null : line.substring(eq + 1).strip();
            if (includedFrom != null && !DIRECTIVE_NAME.matcher(key).matches()) {
                // an Include of a file that is not pacman.conf syntax (Include = /etc/shadow): its content stays out
                throw new PacmanConfException(includedFrom + ": the included file " + source + " is not a pacman config "
                        + "or mirrorlist (its line " + (n + 1) + " is no section and no 'Name = value' directive); "
                        + "point the Include at a mirrorlist.");
            }
            if (key.isEmpty()) {
                throw new PacmanConfException(where + ": '" + line + "' has no directive name before '='; write "
                        + "'Name = value'.");
            }
            directive(key, value, where, baseDir);
        }
    }

    private void openSection(String line, String where) {
        if (line.length() <= 2) {
            throw new PacmanConfException(where + ": '[]' is not a section name; write [options] or [repository].");
        }
        String name = line.substring(1, line.length() - 1);
        section = name;
        if (name.equals("options")) {
            repo = null;
            return;
        }
        if (name.equals("local")) {
            throw new PacmanConfException(where + ": [local] is reserved by pacman for the installed packages; "
                    + "give the repository another name.");
        }
        RepoSection existing = repos.get(name);
        if (existing != null) {
            throw new PacmanConfException(where + ": [" + name + "] appears a second time (first at "
                    + existing.where + "); pacman cannot register a repository twice, so merge the two sections.");
        }
        repo = new RepoSection(name, where);
        repos.put(name, repo);
    }

    private void directive(String key, String value, String where, Path baseDir) {
        if (key.equals("Include")) {
            include(value, where, baseDir);
            return;
        }
        if (section == null) {
            throw new PacmanConfException(where + ": '" + key + "' comes before any section; put it under "
                    + "[options] or under a [repository] section.");
        }
        if (value != null && (value.contains(" #") || value.contains("\t#"))) {
            warn(where + ": the value of '" + key + "' contains ' #'; pacman does not strip comments at the end "
                    + "of a line, so it is part of the value.");
        }
        if (repo == null) {
            option(key, value, where);
        } else {
            repoDirective(key, value, where);
        }
    }

    private void option(String key, String value, String where) {
        if (value == null) {
            if (!IGNORED_OPTIONS.contains(key)) {
                warn(where + ": directive '" + key + "' in section 'options' is not recognized; it is ignored.");
            }
            return;
        }
        switch (key) {
            case "Architecture" -> words(value).forEach(a -> architectures.add(a.equals("auto") ? PacmanConf.machineArchitecture() : a));
            case "SigLevel" -> sigLevelWords.addAll(checkedSigLevel(value, where));
            case "LocalFileSigLevel" -> localFileSigLevelWords.addAll(checkedSigLevel(value, where));
            case "NoExtract" -> noExtract.addAll(words(value));
            case "IgnorePkg" -> ignorePkg.addAll(words(value));
            case "IgnoreGroup" -> ignoreGroup.addAll(words(value));
            case "CacheDir" -> cacheDirs.addAll(words(value));
            case "ParallelDownloads" -> parallelDownloads = positiveNumber(key, value, where);
            case "GPGDir" -> {
                if (gpgDir == null) { // pacman keeps the first one
                    gpgDir = value;
                }
            }
            default -> {
                if (!IGNORED_OPTIONS.contains(key)) {
                    warn(where + ": directive '" + key + "' in section 'options' is not recognized; it is ignored.");
                }
            }
        }
    }

    /** As pacman's conf.c: a whole positive decimal number that fits an int, else the configuration is refused. */
    private static int positiveNumber(String key, String value, String where) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new PacmanConfException(where + ": the value of '" + key + "' must be a positive number, not '"
                + value + "' (pacman refuses it too); write for example '" + key + " = 5'.");
    }

    private void repoDirective(String key, String value, String where) {
        boolean known = key.equals("Server") || key.equals("SigLevel") || IGNORED_REPO_DIRECTIVES.contains(key);
        if (known && value == null) {
            throw new PacmanConfException(where + ": '" + key + "' needs a value (" + key + " = ...).");
        }
        switch (key) {
            case "Server" -> {
                if (value.isEmpty()) {
                    throw new PacmanConfException(where + ": 'Server =' has no URL; write for example "
                            + "'Server = https://mirror.example/archlinux/$repo/os/$arch'.");
                }
                repo.servers.add(new String[] {value, where});
            }
            case "SigLevel" -> repo.sigLevelWords.addAll(checkedSigLevel(value, where));
            default -> {
                if (!known) {
                    warn(where + ": directive '" + key + "' in section '" + repo.name + "' is not recognized; it is "
                            + "ignored.");
                }
            }
        }
    }

    private List<String> checkedSigLevel(String value, String where) {
        List<String> words = words(value);
        try {
            SigLevel.parse(words, SigLevel.NEVER);
        } catch (IllegalArgumentException e) {
            throw new PacmanConfException(where + ": " + e.getMessage() + ".", e);
        }
        return words;
    }

    private void include(String value, String where, Path baseDir) {
        if (value == null || value.isEmpty()) {
            throw new PacmanConfException(where + ": 'Include' needs a file (Include = /etc/pacman.d/mirrorlist).");
        }
        if (depth >= MAX_INCLUDE_DEPTH) {
            throw new PacmanConfException(where + ": Include files nest deeper than " + MAX_INCLUDE_DEPTH
                    + " levels; an Include probably includes itself.");
        }
        List<Path> files = includedFiles(value, where, baseDir);
        depth++;
        try {
            for (Path file : files) {
                readFile(file, where);
            }
        } finally {
            depth--;
        }
    }

    /** Wildcards an Include's file name may hold; real ones have one ({@code *.conf}). */
    private static final int MAX_GLOB_STARS = 4;

    /** The file, or the files a glob in the last path element matches, sorted as glob(3) sorts them. */
    private static List<Path> includedFiles(String value, String where, Path baseDir) {
        Path path;
        try {
            path = Path.of(value);
        } catch (InvalidPathException e) {
            throw new PacmanConfException(where + ": Include = " + value.replace('\0', '?') + " is not a valid path ("
                    + e.getReason() + "); fix the path.", e);
        }
        Path resolved = path.isAbsolute() || baseDir == null ? path : baseDir.resolve(path);
        String last = resolved.getFileName() == null ? "" : resolved.getFileName().toString();
        if (last.chars().anyMatch(c -> c == '*' || c == '?' || c == '[')) {
            // glob(3) reads "**" as "*"; the JDK's glob reads it as "across directories", and a run of stars
            // becomes a regex that backtracks for minutes on a name that does not match: one star per run, few runs
            String glob = last.replaceAll("\\*+", "*");
            if (glob.chars().filter(c -> c == '*').count() > MAX_GLOB_STARS) {
                throw new PacmanConfException(where + ": Include = " + value.replace('\0', '?') + " has more than "
                        + MAX_GLOB_STARS + " '*' wildcards in its file name; use a simpler pattern such as "
                        + "/etc/pacman.d/*.conf.");
            }
            List<Path> matches = new ArrayList<>();
            Path parent = resolved.getParent() == null ? Path.of(".") : resolved.getParent();
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(parent, glob)) {
                stream.forEach(matches::add);
            } catch (IOException e) {
                matches.clear();
            } catch (PatternSyntaxException e) {
                throw new PacmanConfException(where + ": Include = " + value + " is not a valid glob ("
                        + e.getDescription() + "); fix the pattern.", e);
            }
            matches.sort((a, b) -> Arrays.compareUnsigned(a.toString().getBytes(StandardCharsets.UTF_8),
                    b.toString().getBytes(StandardCharsets.UTF_8)));
            if (matches.isEmpty()) {
                throw new PacmanConfException(where + ": Include = " + value + " matches no file (looked for "
                        + resolved + "); fix the path or create the file.");
            }
            return matches;
        }
        if (!Files.isRegularFile(resolved)) {
            throw new PacmanConfException(where + ": Include = " + value + ": " + resolved + " does not exist; "
                    + "fix the path (a relative path is resolved against the directory of the including file) "
                    + "or create the mirrorlist.");
        }
        return List.of(resolved);
    }

    /** pacman splits list values at spaces only (strtok with " "). */
    private static List<String> words(String value) {
        List<String> words = new ArrayList<>();
        for (String w : value.split(" +")) {
            if (!w.isEmpty()) {
                words.add(w);
            }
        }
        return words;
    }

    private void warn(String message) {
        warnings.add(message);
        log.warn(message);
    }

    /** pacman's setdefaults(): SigLevels merge over the global one and servers get $repo and $arch. */
    private PacmanConf finish(String source) {
        SigLevel global = SigLevel.parse(sigLevelWords, PacmanConf.BUILT_IN_SIG_LEVEL);
        SigLevel localFile = SigLevel.parse(localFileSigLevelWords, global);
        List<PacmanConf.Repository> repositories = new ArrayList<>();
        for (RepoSection r : repos.values()) {
            List<String> servers = new ArrayList<>();
            for (String[] server : r.servers) {
                servers.add(substitute(server[0], r.name, server[1]));
            }
            repositories.add(new PacmanConf.Repository(r.name, List.copyOf(servers),
                    SigLevel.parse(r.sigLevelWords, global), r.where));
        }
        return new PacmanConf(source, architectures, global, localFile, noExtract, ignorePkg, ignoreGroup,
                cacheDirs, gpgDir, repositories, warnings, parallelDownloads);
    }

    private String substitute(String template, String repoName, String where) {
        if (template.contains("$arch") && architectures.isEmpty()) {
            throw new PacmanConfException(where + ": the server '" + template + "' uses $arch but no "
                    + "Architecture is set; add 'Architecture = x86_64' (or auto) under [options].");
        }
        String url = architectures.isEmpty() ? template : template.replace("$arch", architectures.get(0));
        return url.replace("$repo", repoName);
    }
}
