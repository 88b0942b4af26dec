package dev.diskimage.conversion;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgConvertRequest;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small images with real data, fake qemu-img scripts, and the checks every fault test shares. */
public final class TestImages {
    /** One mebibyte. */
    public static final long MIB = 1 << 20;
    static final Path REAL_QEMU_IMG = QemuImg.system().binary();

    private TestImages() {
    }

    /** A raw image of {@code size} bytes: random data in its first half, zeros after. */
    public static Path raw(Path dir, String name, long size, long seed) throws IOException {
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

    /** {@code source} (raw) converted by the real qemu-img to {@code format}. */
    public static Path converted(Path source, Path target, DiskFormat format) {
        QemuImg.system().convert(QemuImgConvertRequest.builder(source, DiskFormat.RAW, target, format).build());
        return target;
    }

    /** An executable shell script named {@code qemu-img} in {@code dir}. */
    static Path script(Path dir, String body) throws IOException {
        Files.createDirectories(dir);
        Path script = dir.resolve("qemu-img");
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    /** A qemu-img that appends each call's arguments to {@code calls}, then runs the real one. */
    static Path recordingQemuImg(Path dir, Path calls) throws IOException {
        return script(dir, "echo \"$*\" >> '" + calls + "'\nexec '" + REAL_QEMU_IMG + "' \"$@\"");
    }

    /** Every file in {@code dir} whose name contains {@code part}. */
    static List<Path> filesNamed(Path dir, String part) throws IOException {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                if (entry.getFileName().toString().contains(part)) {
                    found.add(entry);
                }
            }
        }
        return found;
    }

    /** The pids of live processes whose command line mentions {@code text} (from /proc). */
    static List<Long> processesMentioning(String text) {
        List<Long> pids = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(process -> {
            try {
                byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline"));
                String line = new String(cmdline, StandardCharsets.UTF_8).replace('\0', ' ');
                if (line.contains(text) && line.contains("qemu-img") && process.pid() != ProcessHandle.current().pid()) {
                    pids.add(process.pid());
                }
            } catch (IOException | RuntimeException e) {
                // The process ended while we looked.
            }
        });
        return pids;
    }
}
