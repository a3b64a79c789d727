package dev.archcore.provision.cloudconfig;

import dev.archcore.provision.cloudconfig.CloudConfigSchema.Field;
import dev.archcore.provision.cloudconfig.CloudConfigSchema.Type;
import dev.archcore.provision.cloudconfig.YamlNode.Kind;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * {@code coreos-cloudinit -validate}, in Java: the rules of {@code config/validate/rules.go} with the same
 * severities and messages, plus DigitalOcean's limit of 64 KiB of user data. Lines are 1-based.
 */
public final class CloudConfigValidator {
    /** DigitalOcean refuses user data over 64 KiB. */
    public static final int USER_DATA_LIMIT = 64 * 1024;

    public enum Severity { ERROR, WARNING, INFO }

    public record Finding(Severity severity, int line, String message) {
        @Override
        public String toString() {
            return "line " + line + ": " + severity.name().toLowerCase() + ": " + message;
        }
    }

    private CloudConfigValidator() {
    }

    public static List<Finding> validate(String userData) {
        List<Finding> report = new ArrayList<>();
        byte[] bytes = userData.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > USER_DATA_LIMIT) {
            report.add(new Finding(Severity.ERROR, lineAtByte(userData, USER_DATA_LIMIT),
                    "user data is " + bytes.length + " bytes, over DigitalOcean's limit of " + USER_DATA_LIMIT
                            + " bytes (64 KiB); the limit is passed on this line"));
        }
        if (userData.startsWith("#!")) {
            return report;
        }
        String header = userData.split("\n", 2)[0];
        if (!header.replaceFirst("\r$", "").equals("#cloud-config")) {
            report.add(new Finding(Severity.ERROR, 1, "must be \"#cloud-config\" or begin with \"#!\""));
            return report;
        }
        YamlNode root;
        try {
            root = YamlNode.parse(userData);
        } catch (YamlNode.SyntaxError e) {
            report.add(new Finding(Severity.ERROR, e.line, e.getMessage()));
            return report;
        }
        normalizedNames(root, report);
        checkDiscoveryUrl(root, report);
        checkEncoding(root, report);
        checkStructure(root, CloudConfigSchema.ROOT, report);
        checkValidity(root, CloudConfigSchema.ROOT, report);
        checkWriteFiles(root, report);
        checkWriteFilesUnderCoreos(root, report);
        return report;
    }

    private static void normalizedNames(YamlNode n, List<Finding> report) {
        for (YamlNode c : n.children) {
            if (c.renamed) {
                report.add(new Finding(Severity.INFO, c.line, "\"" + c.name.replace('_', '-') + "\" uses '-' instead of '_'"));
            }
            normalizedNames(c, report);
        }
    }

    private static void checkDiscoveryUrl(YamlNode root, List<Finding> report) {
        YamlNode d = root.get("coreos").get("etcd").get("discovery");
        if (!d.exists()) {
            return;
        }
        if (!isRequestUri(d.text(""))) {
            report.add(new Finding(Severity.WARNING, d.line, "discovery URL is not valid"));
        }
    }

    /** Go's url.ParseRequestURI: an absolute URI or an absolute path. */
    private static boolean isRequestUri(String s) {
        try {
            URI uri = new URI(s);
            return uri.isAbsolute() || s.startsWith("/");
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static void checkEncoding(YamlNode root, List<Finding> report) {
        for (YamlNode f : root.get("write_files").items()) {
            YamlNode e = f.get("encoding");
            if (!e.exists()) {
                continue;
            }
            YamlNode c = f.get("content");
            if (!decodes(c.text(""), e.text(""))) {
                report.add(new Finding(Severity.ERROR, c.exists() ? c.line : f.line,
                        "content cannot be decoded as \"" + e.text("") + "\""));
            }
        }
    }

    /** config.DecodeContent: base64 (std, padded), gzip, or gzip inside base64. */
    static boolean decodes(String content, String encoding) {
        try {
            switch (encoding) {
                case "" -> {
                    return true;
                }
                case "b64", "base64" -> Base64.getDecoder().decode(content.strip());
                case "gz", "gzip" -> gunzip(content.getBytes(StandardCharsets.ISO_8859_1));
                case "gz+base64", "gzip+base64", "gz+b64", "gzip+b64" -> gunzip(Base64.getDecoder().decode(content.strip()));
                default -> {
                    return false;
                }
            }
            return true;
        } catch (IllegalArgumentException | IOException e) {
            return false;
        }
    }

    private static void gunzip(byte[] data) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(data))) {
            in.readAllBytes();
        }
    }

    private static void checkStructure(YamlNode n, Field g, List<Finding> report) {
        if (!compatible(n.kind, g.type())) {
            report.add(new Finding(Severity.WARNING, n.line,
                    "incorrect type for \"" + (n.name == null ? "" : n.name) + "\" (want " + g.human() + ")"));
            return;
        }
        if (g.type() == Type.STRUCT) {
            for (YamlNode c : n.children) {
                Field cg = g.fields().get(c.name);
                if (cg == null) {
                    report.add(new Finding(Severity.WARNING, c.line, "unrecognized key \"" + c.name + "\""));
                    continue;
                }
                if (cg.deprecated() != null) {
                    report.add(new Finding(Severity.WARNING, c.line,
                            "deprecated key \"" + c.name + "\" (" + cg.deprecated() + ")"));
                }
                checkStructure(c, cg, report);
            }
        } else if (g.type() == Type.LIST) {
            for (YamlNode c : n.children) {
                checkStructure(c, g.element(), report);
            }
        }
    }

    /** rules.go isCompatible: a string takes any scalar, a float takes an int, the rest must match. */
    private static boolean compatible(Kind n, Type g) {
        return switch (g) {
            case STRING -> n == Kind.STRING || n == Kind.INT || n == Kind.FLOAT || n == Kind.BOOL;
            case STRUCT -> n == Kind.MAP;
            case FLOAT -> n == Kind.FLOAT || n == Kind.INT;
            case BOOL -> n == Kind.BOOL;
            case INT -> n == Kind.INT;
            case LIST -> n == Kind.LIST;
        };
    }

    private static void checkValidity(YamlNode n, Field g, List<Finding> report) {
        if (g.valid() != null && n.value != null && n.kind != Kind.NULL && !n.value.isEmpty()
                && !g.valid().matcher(n.value).find()) {
            report.add(new Finding(Severity.ERROR, n.line, "invalid value " + n.value));
        }
        if (g.type() == Type.STRUCT && n.kind == Kind.MAP) {
            for (YamlNode c : n.children) {
                Field cg = g.fields().get(c.name);
                if (cg != null) {
                    checkValidity(c, cg, report);
                }
            }
        } else if (g.type() == Type.LIST && n.kind == Kind.LIST) {
            for (YamlNode c : n.children) {
                checkValidity(c, g.element(), report);
            }
        }
    }

    private static void checkWriteFiles(YamlNode root, List<Finding> report) {
        for (YamlNode f : root.get("write_files").items()) {
            YamlNode p = f.get("path");
            if (!p.exists()) {
                continue;
            }
            String path = p.text("");
            String dir = path.contains("/") ? path.substring(0, Math.max(1, path.lastIndexOf('/'))) : ".";
            if (dir.startsWith("/usr")) {
                report.add(new Finding(Severity.ERROR, p.line, "file cannot be written to a read-only filesystem"));
            }
        }
    }

    private static void checkWriteFilesUnderCoreos(YamlNode root, List<Finding> report) {
        YamlNode c = root.get("coreos").get("write_files");
        if (c.exists()) {
            report.add(new Finding(Severity.INFO, c.line, "write_files doesn't belong under coreos"));
        }
    }

    private static int lineAtByte(String text, int byteOffset) {
        int bytes = 0;
        int line = 1;
        for (int i = 0; i < text.length() && bytes <= byteOffset; ) {
            int cp = text.codePointAt(i);
            bytes += new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes > byteOffset) {
                break;
            }
            if (cp == '\n') {
                line++;
            }
            i += Character.charCount(cp);
        }
        return line;
    }
}
