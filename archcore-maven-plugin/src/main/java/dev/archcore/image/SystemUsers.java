package dev.archcore.image;

import dev.archcore.util.Log;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What {@code systemd-sysusers --root} would add to {@code /etc/passwd}, {@code /etc/group} and
 * {@code /etc/shadow}, declaratively: {@code u}, {@code g} and {@code m} lines of {@code sysusers.d/*.conf}
 * (files in name order, {@code /etc/sysusers.d} overriding {@code /usr/lib/sysusers.d} by name); fixed ids
 * as given, {@code -} allocated from 999 downwards, skipping ids in use, in a fixed order (groups first, then
 * users, each in file order) so the result never changes between builds. Entries already present in a
 * package's passwd/group are kept. root is always there and locked ({@code root:!:}), as Arch's image does.
 */
final class SystemUsers {
    private static final int SYSTEM_MAX = 999;
    private static final int SYSTEM_MIN = 1;

    record User(String name, long uid, long gid, String gecos, String home, String shell) {
    }

    record Group(String name, long gid, Set<String> members) {
    }

    private final Map<String, User> users = new LinkedHashMap<>();
    private final Map<String, Group> groups = new LinkedHashMap<>();
    private final List<String> passwdLines = new ArrayList<>();
    private final List<String> groupLines = new ArrayList<>();
    private final List<String> shadowLines = new ArrayList<>();
    private final List<String> gshadowLines = new ArrayList<>();
    private final boolean hasGshadow;
    private final long lastChangeDays;
    private final Log log;

    private SystemUsers(Map<String, byte[]> files, long buildTimestamp, Log log) {
        this.lastChangeDays = buildTimestamp / 86400;
        this.log = log;
        lines(files.get("etc/passwd")).forEach(l -> {
            String[] f = l.split(":", -1);
            if (f.length >= 7) {
                users.put(f[0], new User(f[0], parse(f[2]), parse(f[3]), f[4], f[5], f[6]));
            }
            passwdLines.add(l);
        });
        lines(files.get("etc/group")).forEach(l -> {
            String[] f = l.split(":", -1);
            if (f.length >= 4) {
                groups.put(f[0], new Group(f[0], parse(f[2]), new LinkedHashSet<>(splitMembers(f[3]))));
            }
            groupLines.add(l);
        });
        shadowLines.addAll(lines(files.get("etc/shadow")));
        hasGshadow = files.containsKey("etc/gshadow");
        gshadowLines.addAll(lines(files.get("etc/gshadow")));
    }

    /** The generated files by path ({@code etc/passwd}, ...), mode and content. */
    record Output(Map<String, byte[]> files, List<String> created) {
    }

    static Output generate(Map<String, byte[]> captured, long buildTimestamp, Log log) {
        SystemUsers s = new SystemUsers(captured, buildTimestamp, log);
        return s.apply(configs(captured));
    }

    /** sysusers.d files by name, /etc overriding /usr/lib, in name order. */
    private static Map<String, byte[]> configs(Map<String, byte[]> captured) {
        Map<String, byte[]> byName = new TreeMap<>(EntryPaths.ORDER);
        captured.forEach((path, content) -> {
            if (path.startsWith("usr/lib/sysusers.d/")) {
                byName.putIfAbsent(path.substring("usr/lib/sysusers.d/".length()), content);
            }
        });
        captured.forEach((path, content) -> {
            if (path.startsWith("etc/sysusers.d/")) {
                byName.put(path.substring("etc/sysusers.d/".length()), content);
            }
        });
        return byName;
    }

    private record Line(String file, char type, String name, String id, String gecos, String home, String shell) {
    }

    private Output apply(Map<String, byte[]> configs) {
        List<Line> lines = new ArrayList<>();
        configs.forEach((file, content) -> {
            for (String raw : lines(content)) {
                String l = raw.strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                List<String> f = fields(l);
                String type = f.get(0);
                String name = f.size() > 1 ? f.get(1) : "-";
                switch (type) {
                    case "u", "u!", "g", "m" -> lines.add(new Line(file, type.charAt(0), name, field(f, 2), field(f, 3),
                            field(f, 4), field(f, 5)));
                    case "r" -> log.debug("sysusers " + file + ": 'r' ranges are not used; ids come from "
                            + SYSTEM_MAX + " downwards");
                    default -> log.warn("sysusers " + file + ": unknown line type '" + type + "' ignored: " + l);
                }
            }
        });
        List<String> created = new ArrayList<>();
        // fixed ids first, so an automatic id never takes one a later line asks for
        for (Line l : lines) {
            if (l.type == 'g' && !groups.containsKey(l.name) && isNumber(l.id)) {
                addGroup(l.name, Long.parseLong(l.id));
                created.add("group " + l.name);
            }
        }
        for (Line l : lines) {
            if (l.type == 'g' && !groups.containsKey(l.name)) {
                if (!l.id.equals("-")) {
                    log.warn("sysusers " + l.file + ": group id '" + l.id + "' for " + l.name + " is not a number; allocating one");
                }
                addGroup(l.name, free(false));
                created.add("group " + l.name);
            }
        }
        for (Line l : lines) {
            if (l.type == 'u' && !users.containsKey(l.name)) {
                createUser(l);
                created.add("user " + l.name);
            }
        }
        // root is always there, first in the files, whether or not a sysusers.d line or a package made it
        if (!groups.containsKey("root")) {
            addGroup("root", 0);
            groupLines.add(0, groupLines.remove(groupLines.size() - 1));
            if (hasGshadow) {
                gshadowLines.add(0, gshadowLines.remove(gshadowLines.size() - 1));
            }
        }
        if (!users.containsKey("root")) {
            addUser(new User("root", 0, 0, "root", "/root", "/bin/sh"));
            passwdLines.add(0, passwdLines.remove(passwdLines.size() - 1));
            shadowLines.add(0, shadowLines.remove(shadowLines.size() - 1));
        }
        for (Line l : lines) {
            if (l.type == 'm') {
                Group g = groups.get(l.id);
                if (g == null) {
                    addGroup(l.id, free(false));
                    g = groups.get(l.id);
                }
                if (g.members.add(l.name)) {
                    replaceGroupLine(g);
                }
            }
        }
        lockRoot();
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("etc/passwd", join(passwdLines));
        files.put("etc/group", join(groupLines));
        files.put("etc/shadow", join(shadowLines));
        if (hasGshadow) {
            files.put("etc/gshadow", join(gshadowLines));
        }
        return new Output(files, created);
    }

    private void createUser(Line l) {
        long uid;
        long gid;
        String id = l.id == null ? "-" : l.id;
        String[] parts = id.split(":", 2);
        if (isNumber(parts[0])) {
            uid = Long.parseLong(parts[0]);
        } else {
            if (!parts[0].equals("-")) {
                log.warn("sysusers " + l.file + ": user id '" + id + "' for " + l.name + " is not supported; allocating one");
            }
            Group same = groups.get(l.name);
            uid = same != null && !uidUsed(same.gid) ? same.gid : free(true);
        }
        if (parts.length == 2) {
            if (isNumber(parts[1])) {
                gid = Long.parseLong(parts[1]);
                if (!gidUsed(gid)) {
                    addGroup(groups.containsKey(l.name) ? l.name + "-" + gid : l.name, gid);
                }
            } else {
                Group g = groups.get(parts[1]);
                if (g == null) {
                    throw new ImageBuildException("sysusers " + l.file + ": user " + l.name + " names group "
                            + parts[1] + ", which no package defines");
                }
                gid = g.gid;
            }
        } else {
            Group same = groups.get(l.name);
            if (same != null) {
                gid = same.gid;
            } else {
                gid = gidUsed(uid) ? free(false) : uid;
                addGroup(l.name, gid);
            }
        }
        String home = l.home == null || l.home.equals("-") ? "/" : l.home;
        String shell = l.shell == null || l.shell.equals("-") ? (uid == 0 ? "/bin/sh" : "/usr/bin/nologin") : l.shell;
        String gecos = l.gecos == null || l.gecos.equals("-") ? "" : l.gecos;
        addUser(new User(l.name, uid, gid, gecos, home, shell));
    }

    private void addUser(User u) {
        users.put(u.name, u);
        passwdLines.add(u.name + ":x:" + u.uid + ":" + u.gid + ":" + u.gecos + ":" + u.home + ":" + u.shell);
        shadowLines.add(u.name + ":" + (u.uid == 0 ? "!" : "!*") + ":" + lastChangeDays + "::::::");
    }

    private void addGroup(String name, long gid) {
        Group g = new Group(name, gid, new LinkedHashSet<>());
        groups.put(name, g);
        groupLines.add(name + ":x:" + gid + ":");
        if (hasGshadow) {
            gshadowLines.add(name + ":!*::");
        }
    }

    private void replaceGroupLine(Group g) {
        String line = g.name + ":x:" + g.gid + ":" + String.join(",", g.members);
        for (int i = 0; i < groupLines.size(); i++) {
            if (groupLines.get(i).startsWith(g.name + ":")) {
                groupLines.set(i, line);
                return;
            }
        }
        groupLines.add(line);
    }

    /** root gets a shadow line with a locked password ("!"), whatever a package shipped. */
    private void lockRoot() {
        for (int i = 0; i < shadowLines.size(); i++) {
            String[] f = shadowLines.get(i).split(":", -1);
            if (f[0].equals("root")) {
                if (f.length > 1 && (f[1].isEmpty() || f[1].equals("x") || f[1].equals("*"))) {
                    f[1] = "!";
                    shadowLines.set(i, String.join(":", f));
                }
                return;
            }
        }
        shadowLines.add(0, "root:!:" + lastChangeDays + "::::::");
    }

    /** The highest id at most 999 free as a uid and gid (for a user) or as a gid (for a group). */
    private long free(boolean forUser) {
        for (long id = SYSTEM_MAX; id >= SYSTEM_MIN; id--) {
            if (!gidUsed(id) && (!forUser || !uidUsed(id))) {
                return id;
            }
        }
        throw new ImageBuildException("sysusers: no free system id left between " + SYSTEM_MIN + " and " + SYSTEM_MAX);
    }

    private boolean uidUsed(long id) {
        return users.values().stream().anyMatch(u -> u.uid == id);
    }

    private boolean gidUsed(long id) {
        return groups.values().stream().anyMatch(g -> g.gid == id);
    }

    private static List<String> fields(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = null;
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
                if (cur == null) {
                    cur = new StringBuilder();
                }
            } else if (Character.isWhitespace(c)) {
                if (cur != null) {
                    out.add(cur.toString());
                    cur = null;
                }
            } else {
                if (cur == null) {
                    cur = new StringBuilder();
                }
                cur.append(c);
            }
        }
        if (cur != null) {
            out.add(cur.toString());
        }
        return out;
    }

    private static String field(List<String> f, int i) {
        return f.size() > i ? f.get(i) : "-";
    }

    private static boolean isNumber(String s) {
        return s != null && !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }

    private static long parse(String s) {
        return isNumber(s) ? Long.parseLong(s) : -1;
    }

    private static List<String> splitMembers(String s) {
        return s.isEmpty() ? List.of() : List.of(s.split(","));
    }

    private static List<String> lines(byte[] content) {
        if (content == null) {
            return List.of();
        }
        String text = new String(content, StandardCharsets.UTF_8);
        return text.isEmpty() ? List.of() : List.of(text.split("\n"));
    }

    private static byte[] join(List<String> lines) {
        return (String.join("\n", lines) + (lines.isEmpty() ? "" : "\n")).getBytes(StandardCharsets.UTF_8);
    }
}
