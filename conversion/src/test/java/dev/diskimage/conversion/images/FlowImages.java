package dev.diskimage.conversion.images;

import dev.diskimage.conversion.TestImages;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgComparison;
import dev.diskimage.core.QemuImgCreateRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Images made by the real qemu-img for the flow tests, and the checks they share. */
final class FlowImages {
    static final long MIB = TestImages.MIB;

    private FlowImages() {
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
