package dev.archcore.image;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.archcore.pacman.Relation;

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

        ObjectNode doc = OciImage.JSON.createObjectNode();
        doc.put("spdxVersion", "SPDX-2.3");
        doc.put("dataLicense", "CC0-1.0");
        doc.put("SPDXID", "SPDXRef-DOCUMENT");
        doc.put("name", image.reference());
        doc.put("documentNamespace", "https://spdx.org/spdxdocs/archcore/" + image.name().replace(':', '-') + "-"
                + image.tag() + "-" + setHash);
        ObjectNode creation = doc.putObject("creationInfo");
        creation.put("created", OciImage.timestamp(created));
        creation.putArray("creators").add("Tool: archcore");

        ArrayNode list = doc.putArray("packages");
        ObjectNode img = list.addObject();
        img.put("SPDXID", "SPDXRef-Image");
        img.put("name", image.name());
        img.put("versionInfo", image.tag());
        img.put("downloadLocation", "NOASSERTION");
        img.put("filesAnalyzed", false);
        img.put("primaryPackagePurpose", "CONTAINER");
        ArrayNode imgChecksums = img.putArray("checksums");
        ObjectNode c = imgChecksums.addObject();
        c.put("algorithm", "SHA256");
        c.put("checksumValue", BuiltImage.hex(image.manifestDigest()));

        Map<String, String> ids = new LinkedHashMap<>();
        Set<String> usedIds = new TreeSet<>();
        Set<String> licenseRefs = new TreeSet<>();
        for (PackageIndex.Loaded p : packages) {
            String id = spdxId(p.name(), usedIds);
            ids.put(p.name(), id);
            PkgInfo i = p.info();
            ObjectNode n = list.addObject();
            n.put("SPDXID", id);
            n.put("name", i.pkgname());
            n.put("versionInfo", i.pkgver());
            n.put("packageFileName", p.file().getFileName().toString());
            n.put("supplier", supplier(i.packager()));
            n.put("downloadLocation", "NOASSERTION");
            n.put("filesAnalyzed", false);
            if (i.url() != null && !i.url().isBlank()) {
                n.put("homepage", i.url());
            }
            ObjectNode sum = n.putArray("checksums").addObject();
            sum.put("algorithm", "SHA256");
            sum.put("checksumValue", p.index().sha256());
            n.put("licenseConcluded", "NOASSERTION");
            String declared = license(i.license());
            n.put("licenseDeclared", declared);
            if (declared.equals("NOASSERTION") && !i.license().isEmpty()) {
                n.put("licenseComments", "pacman license field: " + String.join(", ", i.license()));
            }
            Matcher refs = LICENSE_REF.matcher(declared);
            while (refs.find()) {
                licenseRefs.add(refs.group());
            }
            n.put("copyrightText", "NOASSERTION");
            if (i.pkgdesc() != null && !i.pkgdesc().isEmpty()) {
                n.put("description", i.pkgdesc());
            }
            n.put("primaryPackagePurpose", p.request().app() ? "APPLICATION" : "LIBRARY");
            ObjectNode purl = n.putArray("externalRefs").addObject();
            purl.put("referenceCategory", "PACKAGE-MANAGER");
            purl.put("referenceType", "purl");
            purl.put("referenceLocator", "pkg:alpm/" + distro + "/" + encode(i.pkgname()) + "@" + encode(i.pkgver())
                    + (i.arch() == null ? "" : "?arch=" + encode(i.arch())));
        }
        if (!licenseRefs.isEmpty()) {
            ArrayNode extracted = doc.putArray("hasExtractedLicensingInfos");
            for (String ref : licenseRefs) {
                ObjectNode e = extracted.addObject();
                e.put("licenseId", ref);
                e.put("extractedText", "A license named by a package; its text is in /usr/share/licenses/ of the image.");
            }
        }

        ArrayNode rel = doc.putArray("relationships");
        relationship(rel, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image");
        for (PackageIndex.Loaded p : packages) {
            relationship(rel, "SPDXRef-Image", "CONTAINS", ids.get(p.name()));
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
            targets.forEach(t -> relationship(rel, ids.get(p.name()), "DEPENDS_ON", ids.get(t)));
        }
        return OciImage.bytes(doc);
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

    private static void relationship(ArrayNode rel, String from, String type, String to) {
        ObjectNode r = rel.addObject();
        r.put("spdxElementId", from);
        r.put("relationshipType", type);
        r.put("relatedSpdxElement", to);
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
