package dev.diskimage.conversion.vhd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** VHD images made by the real qemu-img and qemu-io, and qemu-img's raw view of them: the tests' oracle. */
final class VhdTestImages {

    private VhdTestImages() {
    }

    /** {@code qemu-img create -f vpc -o subformat=...,force_size=...} of {@code size} in {@code dir}. */
    static Path create(Path dir, String name, String subformat, String forceSize, String size) throws Exception {
        Path image = dir.resolve(name);
        run("qemu-img", "create", "-q", "-f", "vpc", "-o", "subformat=" + subformat + ",force_size=" + forceSize,
                image.toString(), size);
        return image;
    }

    /**
     * An empty dynamic VHD of {@code size} bytes with {@code blockSize} blocks, laid out as
     * {@code qemu-img create} lays it out (footer copy, header at 512, table at 1536 rounded to
     * sectors, end footer), creator {@code "tap\0"} so that readers use the exact current size:
     * qemu-img cannot choose a block size for vpc.
     */
    static Path dynamic(Path dir, String name, long size, long blockSize) throws IOException {
        Path image = dir.resolve(name);
        long entries = dev.diskimage.core.vhd.VhdBat.entriesFor(size, blockSize);
        long tableOffset = 1536;
        long tableBytes = dev.diskimage.core.vhd.VhdSectorBitmap.roundUpToSector(entries * 4);
        var footer = new dev.diskimage.core.vhd.VhdFooter(dev.diskimage.core.vhd.VhdFooter.FEATURES_RESERVED,
                dev.diskimage.core.vhd.VhdFooter.FORMAT_VERSION, 512, 0, "tap\0", 0x10000, "Wi2k", size, size,
                dev.diskimage.core.vhd.VhdGeometry.forSectors(size / 512),
                dev.diskimage.core.vhd.VhdDiskType.DYNAMIC.code(), 0, java.util.UUID.randomUUID(), 0);
        var header = new dev.diskimage.core.vhd.VhdDynamicHeader(-1, tableOffset,
                dev.diskimage.core.vhd.VhdDynamicHeader.HEADER_VERSION, entries, blockSize, 0,
                new java.util.UUID(0, 0), 0, "", java.util.Collections.nCopies(8,
                        new dev.diskimage.core.vhd.VhdParentLocator(0, 0, 0, 0)));
        byte[] file = new byte[(int) (tableOffset + tableBytes + 512)];
        byte[] footerBytes = footer.write().array();
        System.arraycopy(footerBytes, 0, file, 0, 512);
        System.arraycopy(header.write().array(), 0, file, 512, 1024);
        java.util.Arrays.fill(file, (int) tableOffset, (int) (tableOffset + tableBytes), (byte) 0xFF);
        System.arraycopy(footerBytes, 0, file, file.length - 512, 512);
        Files.write(image, file);
        return image;
    }

    /** Runs qemu-io commands ({@code write -P 0xab OFFSET LEN}) on a VHD. */
    static void qemuIo(Path image, String... commands) throws Exception {
        List<String> command = new ArrayList<>(List.of("qemu-io", "-f", "vpc"));
        for (String c : commands) {
            command.add("-c");
            command.add(c);
        }
        command.add(image.toString());
        run(command.toArray(String[]::new));
    }

    /** What qemu-img reads from {@code image}: {@code qemu-img convert -f vpc -O raw} beside it. */
    static Path raw(Path image) throws Exception {
        Path raw = image.resolveSibling(image.getFileName() + ".raw");
        Files.deleteIfExists(raw);
        run("qemu-img", "convert", "-f", "vpc", "-O", "raw", image.toString(), raw.toString());
        return raw;
    }

    /** The project's validator accepts {@code image} (backing files allowed for a child) and qemu-img reports its size. */
    static void assertAcceptedByTheValidatorAndQemu(Path image, long virtualSize, boolean differencing)
            throws Exception {
        dev.diskimage.validation.ValidationReport report = dev.diskimage.validation.ImageValidator.of(
                dev.diskimage.validation.ImagePolicy.defaults().withAllowBackingFiles(differencing))
                .validate(image, dev.diskimage.core.DiskFormat.VPC);
        assertThat(report.verdict()).as(report.toString()).isEqualTo(dev.diskimage.validation.Verdict.ACCEPT);
        String info = run("qemu-img", "info", "-f", "vpc", "--output=json", image.toString());
        assertThat(info).contains("\"virtual-size\": " + virtualSize);
    }

    /** Runs a program, requires exit 0, returns its output. */
    static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + ": " + output).isZero();
        return output;
    }
}
