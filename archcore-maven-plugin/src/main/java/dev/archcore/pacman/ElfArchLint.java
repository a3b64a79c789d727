package dev.archcore.pacman;

import dev.archcore.util.Log;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every ELF file of a package must be for the package's CARCH: a compiler that ignored CARCH (an i686 package
 * built on x86_64 without {@code -m32}) gives a package pacman installs and a program the machine cannot run.
 * makepkg has no such check; Arch's namcap warns of an ELF file in an {@code any} package, as this does.
 */
final class ElfArchLint {
    /** ELF class ({@code e_ident[EI_CLASS]}) and machine ({@code e_machine}) per pacman architecture. */
    record ElfArch(int elfClass, int machine, String description) {
        @Override
        public String toString() {
            return "ELF " + (elfClass == 1 ? "32" : "64") + "-bit " + description;
        }
    }

    private static final ElfArch X86_64 = new ElfArch(2, 62, "x86-64 (EM_X86_64)");
    private static final ElfArch I386 = new ElfArch(1, 3, "Intel 80386 (EM_386)");
    private static final ElfArch AARCH64 = new ElfArch(2, 183, "ARM aarch64 (EM_AARCH64)");
    private static final ElfArch ARM = new ElfArch(1, 40, "ARM (EM_ARM)");
    private static final ElfArch RISCV64 = new ElfArch(2, 243, "RISC-V (EM_RISCV)");
    private static final ElfArch LOONG64 = new ElfArch(2, 258, "LoongArch (EM_LOONGARCH)");
    private static final Map<String, ElfArch> BY_CARCH = Map.ofEntries(
            Map.entry("x86_64", X86_64), Map.entry("x86_64_v2", X86_64), Map.entry("x86_64_v3", X86_64),
            Map.entry("x86_64_v4", X86_64), Map.entry("i686", I386), Map.entry("i486", I386),
            Map.entry("pentium4", I386), Map.entry("aarch64", AARCH64), Map.entry("armv7h", ARM),
            Map.entry("armv6h", ARM), Map.entry("riscv64", RISCV64), Map.entry("loong64", LOONG64));
    private static final List<ElfArch> KNOWN = List.of(X86_64, I386, AARCH64, ARM, RISCV64, LOONG64);
    /** eBPF objects are loaded by the kernel of any architecture. */
    private static final int EM_BPF = 247;

    private ElfArchLint() {
    }

    /**
     * Refuses a package of a native architecture that holds an ELF file for another one; warns of ELF files in an
     * {@code any} package. Architectures without an entry above are not checked.
     */
    static void check(PackageTree tree, String packageArch, String source, Log log) {
        boolean any = packageArch.equals("any");
        ElfArch wanted = BY_CARCH.get(packageArch);
        if (!any && wanted == null) {
            return;
        }
        List<String> wrong = new ArrayList<>();
        for (PackageTree.Entry e : tree.entries()) {
            if (e.type() != PackageTree.Type.FILE || e.size() < 20) {
                continue;
            }
            int[] header = header(e);
            if (header == null || header[1] == EM_BPF) {
                continue;
            }
            if (any) {
                log.warn(source + ": " + e.path() + " is " + describe(header) + " in a package for arch=('any'): "
                        + "a machine of another architecture cannot run it; give the package its architectures "
                        + "(arch=('x86_64' ...)) unless the file is data for another machine");
            } else if (header[0] != wanted.elfClass() || header[1] != wanted.machine()) {
                wrong.add(e.path() + " is " + describe(header));
            }
        }
        if (!wrong.isEmpty()) {
            throw new PackageBuildException(source + ": the package is for CARCH=" + packageArch + ", which wants "
                    + wanted + " files, but " + String.join("; ", wrong) + ". The compiler built for the build "
                    + "machine, not for " + packageArch + ": " + howToCrossBuild(packageArch)
                    + " The previous package in the output directory is untouched.");
        }
    }

    static String howToCrossBuild(String carch) {
        return switch (BY_CARCH.get(carch).machine()) {
            case 3 -> "on x86_64, compile and link with gcc -m32 (install the multilib compiler: gcc-multilib on "
                    + "Debian and Ubuntu, lib32-glibc from [multilib] on Arch Linux) and pass -m32 in CFLAGS and "
                    + "LDFLAGS (the archetype's PKGBUILD does for CARCH=i686), or build on an i686 machine.";
            case 183 -> "use a cross compiler (gcc-aarch64-linux-gnu on Debian and Ubuntu, CC=aarch64-linux-gnu-gcc; "
                    + "the archetype's PKGBUILD uses it when installed), or build on an aarch64 machine.";
            case 40 -> "use a cross compiler (gcc-arm-linux-gnueabihf on Debian and Ubuntu, "
                    + "CC=arm-linux-gnueabihf-gcc), or build on an ARM machine.";
            default -> "use a cross compiler for " + carch + " (CC=...), or build on a " + carch + " machine.";
        };
    }

    /** {class, machine} of an ELF file, or null when the file does not start with the ELF magic. */
    static int[] header(PackageTree.Entry e) {
        byte[] h = new byte[20];
        try (InputStream in = new FileInputStream(e.source().toFile())) { // as PackageWriter reads: a plain native read
            if (in.readNBytes(h, 0, h.length) < h.length) {
                return null;
            }
        } catch (IOException x) {
            throw new UncheckedIOException("cannot read " + e.source(), x);
        }
        if (h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F') {
            return null;
        }
        // e_machine is in the file's byte order, e_ident[EI_DATA]: 1 little-endian, 2 big-endian
        int machine = h[5] == 2 ? ((h[18] & 0xff) << 8) | (h[19] & 0xff) : ((h[19] & 0xff) << 8) | (h[18] & 0xff);
        return new int[] {h[4], machine};
    }

    private static String describe(int[] header) {
        for (ElfArch a : KNOWN) {
            if (a.elfClass() == header[0] && a.machine() == header[1]) {
                return "an " + a;
            }
        }
        return "an ELF " + (header[0] == 1 ? "32" : header[0] == 2 ? "64" : "?") + "-bit file for machine "
                + header[1];
    }
}
