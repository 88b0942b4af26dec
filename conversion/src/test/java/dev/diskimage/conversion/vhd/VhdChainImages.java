package dev.diskimage.conversion.vhd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.vhd.VhdParentLocator;
import dev.diskimage.validation.ImagePolicy;
import dev.diskimage.validation.ImageValidator;
import dev.diskimage.validation.ValidationReport;
import dev.diskimage.validation.Verdict;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * Chains of VHD files built for the tests from known random content: a dynamic base made by
 * qemu-img, children made and written by {@link VhdFile}, and the bytes the top must show.
 */
final class VhdChainImages {
    static final int KIB = 1 << 10;
    static final int MIB = 1 << 20;

    /** A built chain: its files, top first, and what the top shows. */
    record Built(List<Path> files, byte[] expected) {
        Path top() {
            return files.get(0);
        }

        Path base() {
            return files.get(files.size() - 1);
        }
    }

    private VhdChainImages() {
    }

    /**
     * A chain in {@code dir}: a dynamic base of {@code sizes[0]} bytes named {@code level0.vhd}
     * (written with random pieces), then one child per further size (a larger size makes a larger
     * child), each with random writes of odd offsets and lengths (partly filled blocks, sectors
     * written in part).
     */
    static Built chain(Path dir, long blockSize, long seed, long... sizes) throws Exception {
        Random random = new Random(seed);
        List<Path> files = new ArrayList<>();
        Path base = VhdTestImages.create(dir, "level0.vhd", "dynamic", "on", Long.toString(sizes[0]));
        byte[] expected = new byte[(int) sizes[0]];
        try (VhdFile vhd = VhdFile.openForWriting(base)) {
            scribble(vhd, expected, random);
        }
        files.add(0, base);
        for (int level = 1; level < sizes.length; level++) {
            Path child = dir.resolve("level" + level + ".vhd");
            try (VhdChain parent = VhdChain.open(files.get(0))) {
                if (sizes[level] == parent.virtualSize()) {
                    VhdFile.createDifferencing(child, parent.top(), blockSize).close();
                } else {
                    createLargerChild(child, parent.top(), blockSize, sizes[level]);
                    expected = Arrays.copyOf(expected, (int) sizes[level]);
                }
            }
            try (VhdChain parent = VhdChain.open(files.get(0));
                    VhdFile vhd = VhdFile.openForWriting(child)) {
                vhd.attachParent(parent.top());
                scribble(vhd, expected, random);
            }
            files.add(0, child);
        }
        return new Built(List.copyOf(files), expected);
    }

    /** A differencing child larger than its parent, with the relative locator a chain follows. */
    static void createLargerChild(Path child, VhdFile parent, long blockSize, long size) throws Exception {
        Path sizer = VhdTestImages.create(child.getParent(), "sizer-" + UUID.randomUUID() + ".vhd", "dynamic", "on",
                Long.toString(size));
        try (VhdFile sized = VhdFile.open(sizer)) {
            String relative = ParentLocatorPaths.textFor(VhdParentLocator.W2RU, child.getParent(), parent.path());
            VhdCreator.create(child, sized.footer(), blockSize, UUID.randomUUID(), new VhdCreator.ParentLink(
                    parent.uniqueId(), VhdChain.vhdSeconds(parent.path()), parent.path().getFileName().toString(),
                    List.of(new VhdCreator.Locator(VhdParentLocator.W2RU,
                            VhdParentLocator.encode(VhdParentLocator.W2RU, relative)))));
        }
        Files.delete(sizer);
    }

    /** Random writes: whole blocks, pieces inside blocks, pieces across blocks, odd offsets. */
    static void scribble(VhdFile vhd, byte[] expected, Random random) {
        int size = (int) vhd.virtualSize();
        for (int i = 0; i < 6; i++) {
            int length = 1 + random.nextInt(i % 2 == 0 ? 700 * KIB : 5000);
            int offset = random.nextInt(size - length);
            byte[] bytes = new byte[length];
            random.nextBytes(bytes);
            vhd.write(offset, ByteBuffer.wrap(bytes));
            System.arraycopy(bytes, 0, expected, offset, length);
        }
    }

    /** Everything a VHD (or a chain's top) shows. */
    static byte[] read(VhdFile vhd) {
        ByteBuffer all = ByteBuffer.allocate((int) vhd.virtualSize());
        vhd.read(0, all);
        return all.array();
    }

    /** Everything a chain shows, through {@link VhdChain#open}. */
    static byte[] readChain(Path top) {
        try (VhdChain chain = VhdChain.open(top)) {
            return read(chain.top());
        }
    }

    /** The image passes this project's validator as {@code vpc} and qemu-img opens it with its size. */
    static void assertAcceptedByTheValidatorAndQemu(Path image, long virtualSize) throws Exception {
        ValidationReport report = ImageValidator.of(ImagePolicy.defaults()).validate(image, DiskFormat.VPC);
        assertThat(report.verdict()).as(report.toString()).isEqualTo(Verdict.ACCEPT);
        String info = VhdTestImages.run("qemu-img", "info", "-f", "vpc", "--output=json", image.toString());
        assertThat(info).contains("\"virtual-size\": " + virtualSize);
    }

    /** What qemu-img reads from a (non-differencing) VHD equals {@code expected}. */
    static void assertQemuReads(Path image, byte[] expected) throws Exception {
        Path raw = VhdTestImages.raw(image);
        assertThat(Files.readAllBytes(raw)).isEqualTo(expected);
        Files.write(raw, expected);
        VhdTestImages.run("qemu-img", "compare", "-f", "vpc", "-F", "raw", image.toString(), raw.toString());
        Files.delete(raw);
    }

    /** The bytes of each file, to show nothing changed. */
    static List<byte[]> snapshot(List<Path> files) throws Exception {
        List<byte[]> contents = new ArrayList<>();
        for (Path file : files) {
            contents.add(Files.readAllBytes(file));
        }
        return contents;
    }
}
