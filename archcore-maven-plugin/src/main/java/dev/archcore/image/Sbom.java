package dev.archcore.image;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.archcore.pacman.Relation;
import dev.archcore.util.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An SPDX 2.3 JSON document of the image: one package for the image, one per pacman package (from its
 * {@code .PKGINFO}: name, version, license, url, packager, description; the sha256 of the package file; a
 * {@code pkg:alpm} purl), the image CONTAINS each, and DEPENDS_ON between packages as their {@code depends}
 * resolve within the image (by name or provision). Same packages, same bytes: the creation time is the build
 * timestamp and the namespace is derived from the package set.
 */
final class Sbom {
    private static final Pattern LICENSE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.+-]*");
    private static final Pattern LICENSE_EXPRESSION = Pattern.compile(
            "\\(?[A-Za-z0-9][A-Za-z0-9.+:-]*\\)?( (AND|OR|WITH) \\(?[A-Za-z0-9][A-Za-z0-9.+:-]*\\)?)*");
    private static final Pattern LICENSE_REF = Pattern.compile("LicenseRef-[A-Za-z0-9.-]+");
    private static final Pattern PACKAGER = Pattern.compile("(.*?)\\s*<([^>]*)>\\s*");

    private Sbom() {
    }

    static byte[] write(BuiltImage image, List<PackageIndex.Loaded> packages, long created, String distro) {
        StringBuilder set = new StringBuilder();
        packages.forEach(p -> set.append(p.name()).append(' ').append(p.index().sha256()).append('\n'));
        String setHash = Digests.sha256(set.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 16);

        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeStringField("spdxVersion", "SPDX-2.3");
            g.writeStringField("dataLicense", "CC0-1.0");
            g.writeStringField("SPDXID", "SPDXRef-DOCUMENT");
            g.writeStringField("name", image.reference());
            g.writeStringField("documentNamespace", "https://spdx.org/spdxdocs/archcore/" + image.name().replace(':', '-')
                    + "-" + image.tag() + "-" + setHash);
            g.writeObjectFieldStart("creationInfo");
            g.writeStringField("created", OciImage.timestamp(created));
            g.writeArrayFieldStart("creators");
            g.writeString("Tool: archcore");
            g.writeEndArray();
            g.writeEndObject();

            g.writeArrayFieldStart("packages");
            g.writeStartObject();
            g.writeStringField("SPDXID", "SPDXRef-Image");
            g.writeStringField("name", image.name());
            g.writeStringField("versionInfo", image.tag());
            g.writeStringField("downloadLocation", "NOASSERTION");
            g.writeBooleanField("filesAnalyzed", false);
            g.writeStringField("primaryPackagePurpose", "CONTAINER");
            checksums(g, BuiltImage.hex(image.manifestDigest()));
            g.writeEndObject();

            Map<String, String> ids = new LinkedHashMap<>();
            Set<String> usedIds = new TreeSet<>();
            Set<String> licenseRefs = new TreeSet<>();
            for (PackageIndex.Loaded p : packages) {
                String id = spdxId(p.name(), usedIds);
                ids.put(p.name(), id);
                PkgInfo i = p.info();
                g.writeStartObject();
                g.writeStringField("SPDXID", id);
                g.writeStringField("name", i.pkgname());
                g.writeStringField("versionInfo", i.pkgver());
                g.writeStringField("packageFileName", p.file().getFileName().toString());
                g.writeStringField("supplier", supplier(i.packager()));
                g.writeStringField("downloadLocation", "NOASSERTION");
                g.writeBooleanField("filesAnalyzed", false);
                if (i.url() != null && !i.url().isBlank()) {
                    g.writeStringField("homepage", i.url());
                }
                checksums(g, p.index().sha256());
                g.writeStringField("licenseConcluded", "NOASSERTION");
                String declared = license(i.license());
                g.writeStringField("licenseDeclared", declared);
                if (declared.equals("NOASSERTION") && !i.license().isEmpty()) {
                    g.writeStringField("licenseComments", "pacman license field: " + String.join(", ", i.license()));
                }
                Matcher refs = LICENSE_REF.matcher(declared);
                while (refs.find()) {
                    licenseRefs.add(refs.group());
                }
                g.writeStringField("copyrightText", "NOASSERTION");
                if (i.pkgdesc() != null && !i.pkgdesc().isEmpty()) {
                    g.writeStringField("description", i.pkgdesc());
                }
                g.writeStringField("primaryPackagePurpose", p.request().app() ? "APPLICATION" : "LIBRARY");
                g.writeArrayFieldStart("externalRefs");
                g.writeStartObject();
                g.writeStringField("referenceCategory", "PACKAGE-MANAGER");
                g.writeStringField("referenceType", "purl");
                g.writeStringField("referenceLocator", "pkg:alpm/" + distro + "/" + encode(i.pkgname()) + "@"
                        + encode(i.pkgver()) + (i.arch() == null ? "" : "?arch=" + encode(i.arch())));
                g.writeEndObject();
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            if (!licenseRefs.isEmpty()) {
                g.writeArrayFieldStart("hasExtractedLicensingInfos");
                for (String ref : licenseRefs) {
                    g.writeStartObject();
                    g.writeStringField("licenseId", ref);
                    g.writeStringField("extractedText",
                            "A license named by a package; its text is in /usr/share/licenses/ of the image.");
                    g.writeEndObject();
                }
                g.writeEndArray();
            }

            g.writeArrayFieldStart("relationships");
            relationship(g, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image");
            for (PackageIndex.Loaded p : packages) {
                relationship(g, "SPDXRef-Image", "CONTAINS", ids.get(p.name()));
            }
            Map<String, String> providers = providers(packages);
            for (PackageIndex.Loaded p : packages) {
                Set<String> targets = new LinkedHashSet<>();
                for (String dep : p.info().depends()) {
                    String provider = providers.get(Relation.parse(dep).name());
                    if (provider != null && !provider.equals(p.name())) {
                        targets.add(provider);
                    }
                }
                for (String t : targets) {
                    relationship(g, ids.get(p.name()), "DEPENDS_ON", ids.get(t));
                }
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    private static void checksums(JsonGenerator g, String sha256) throws IOException {
        g.writeArrayFieldStart("checksums");
        g.writeStartObject();
        g.writeStringField("algorithm", "SHA256");
        g.writeStringField("checksumValue", sha256);
        g.writeEndObject();
        g.writeEndArray();
    }

    /** A name or provision to the first package (in install order) that has it, as pacman resolves. */
    private static Map<String, String> providers(List<PackageIndex.Loaded> packages) {
        Map<String, String> out = new LinkedHashMap<>();
        packages.forEach(p -> out.putIfAbsent(p.name(), p.name()));
        for (PackageIndex.Loaded p : packages) {
            for (String provision : p.info().provides()) {
                out.putIfAbsent(Relation.parse(provision).name(), p.name());
            }
        }
        return out;
    }

    private static void relationship(JsonGenerator g, String from, String type, String to) throws IOException {
        g.writeStartObject();
        g.writeStringField("spdxElementId", from);
        g.writeStringField("relationshipType", type);
        g.writeStringField("relatedSpdxElement", to);
        g.writeEndObject();
    }

    private static String spdxId(String name, Set<String> used) {
        String clean = name.replaceAll("[^A-Za-z0-9.-]", "-");
        String id = "SPDXRef-Package-" + clean;
        if (!clean.equals(name) || used.contains(id)) {
            id += "-" + Digests.sha256(name.getBytes(StandardCharsets.UTF_8)).substring(0, 8);
        }
        used.add(id);
        return id;
    }

    /** pacman's license list as one SPDX expression when each looks like one, else NOASSERTION. */
    static String license(List<String> licenses) {
        if (licenses.isEmpty()) {
            return "NOASSERTION";
        }
        List<String> parts = new ArrayList<>();
        for (String l : licenses) {
            String s = l.strip();
            if (s.startsWith("custom") || !LICENSE_EXPRESSION.matcher(s).matches()) {
                return "NOASSERTION";
            }
            parts.add(LICENSE_ID.matcher(s).matches() || licenses.size() == 1 ? s : "(" + s + ")");
        }
        return String.join(" AND ", parts);
    }

    private static String supplier(String packager) {
        if (packager == null || packager.isBlank() || packager.startsWith("Unknown Packager")) {
            return "NOASSERTION";
        }
        Matcher m = PACKAGER.matcher(packager);
        return m.matches() ? "Person: " + m.group(1) + " (" + m.group(2) + ")" : "Person: " + packager;
    }

    private static String encode(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
