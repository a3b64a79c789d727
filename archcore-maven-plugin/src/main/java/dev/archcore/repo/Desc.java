package dev.archcore.repo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code desc}/{@code files} text of pacman databases: {@code %SECTION%}, one value per line, an empty
 * line after each section (libalpm reads multi-valued sections until an empty line, so it is always written).
 */
public final class Desc {
    private Desc() {
    }

    public static Map<String, List<String>> parse(String text) {
        Map<String, List<String>> sections = new LinkedHashMap<>();
        List<String> current = null;
        for (String line : text.split("\n", -1)) {
            if (line.length() > 2 && line.startsWith("%") && line.endsWith("%") && current == null) {
                current = sections.computeIfAbsent(line.substring(1, line.length() - 1), k -> new ArrayList<>());
            } else if (line.isEmpty()) {
                current = null;
            } else if (current != null) {
                current.add(line);
            }
        }
        sections.replaceAll((k, v) -> List.copyOf(v));
        return sections;
    }

    /** Sections in the given order; empty ones are left out, as repo-add does. */
    public static String write(Map<String, List<String>> sections) {
        StringBuilder out = new StringBuilder();
        sections.forEach((name, values) -> {
            if (!values.isEmpty()) {
                out.append('%').append(name).append("%\n");
                values.forEach(v -> out.append(v).append('\n'));
                out.append('\n');
            }
        });
        return out.toString();
    }
}
