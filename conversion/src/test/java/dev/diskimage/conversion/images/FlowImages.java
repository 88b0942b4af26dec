package dev.diskimage.conversion.images;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgComparison;
import dev.diskimage.core.QemuImgConvertRequest;
import dev.diskimage.core.QemuImgCreateRequest;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/** Images made by the real qemu-img for the flow tests, and the checks they share. */
final class FlowImages {
    static final long MIB = 1 << 20;

    private FlowImages() {
    }

    /** A raw image of {@code size} bytes: random data in its first half, zeros after. */
    static Path raw(Path dir, String name, long size, long seed) throws IOException {
        Path image = dir.resolve(name);
        Random random = new Random(seed);
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(size);
            byte[] block = new byte[64 << 10];
            for (long offset = 0; offset < size / 2; offset += block.length) {
                random.nextBytes(block);
                file.write(block, 0, (int) Math.min(block.length, size / 2 - offset));
            }
        }
        return image;
    }

    /** {@code source} (raw) converted by the real qemu-img. */
    static Path converted(Path source, Path target, DiskFormat format) {
        QemuImg.system().convert(QemuImgConvertRequest.builder(source, DiskFormat.RAW, target, format).build());
        return target;
    }

    /** A qcow2 image whose backing file is {@code backing}: what an attacker uploads to read host files. */
    static Path qcow2WithBackingFile(Path dir, Path backing) {
        Path image = dir.resolve("evil.qcow2");
        QemuImg.system().create(QemuImgCreateRequest.builder(image, DiskFormat.QCOW2).size(MIB)
                .backingFile(backing.toString(), DiskFormat.RAW).build());
        return image;
    }

    /** Whether qemu-img compare finds the two images' contents equal. */
    static boolean sameContent(Path a, DiskFormat formatA, Path b, DiskFormat formatB) {
        return QemuImg.system().compare(a, formatA, b, formatB, false) == QemuImgComparison.IDENTICAL;
    }

    /** Every entry of a directory, for "nothing left behind" checks. */
    static List<Path> entries(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }
}
