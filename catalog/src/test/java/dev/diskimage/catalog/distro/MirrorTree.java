package dev.diskimage.catalog.distro;

import dev.diskimage.catalog.cache.Checksum;
import dev.diskimage.catalog.cache.ChecksumAlgorithm;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageException;
import dev.diskimage.core.ImageGate;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/**
 * Builds mirror-shaped directory trees for the tests: small real qcow2 images made by qemu-img
 * (each a different virtual size, so their bytes differ), checksum files in the distros' styles,
 * xz-compressed images; and a gate that admits qcow2 by its magic and records what it saw.
 */
final class MirrorTree {
    private static final byte[] QCOW2_MAGIC = {'Q', 'F', 'I', (byte) 0xfb};

    private final Path root;
    private int images;

    MirrorTree(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    /** A new qcow2 image at {@code relative}; returns its path. */
    Path qcow2(String relative) {
        Path file = root.resolve(relative);
        try {
            Files.createDirectories(file.getParent());
            long size = (1 << 20) + (long) (++images) * 65536;
            run("qemu-img", "create", "-q", "-f", "qcow2", file.toString(), Long.toString(size));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A file with some bytes that are no image. */
    Path junk(String relative) {
        return write(relative, "this is no disk image\n".repeat(100));
    }

    Path write(String relative, String text) {
        Path file = root.resolve(relative);
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path directory(String relative) {
        try {
            return Files.createDirectories(root.resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Compresses {@code source} to {@code relative} with xz. */
    Path xz(Path source, String relative) {
        Path file = root.resolve(relative);
        try {
            Files.createDirectories(file.getParent());
            try (InputStream in = Files.newInputStream(source);
                 OutputStream out = new XZOutputStream(Files.newOutputStream(file), new LZMA2Options(1))) {
                in.transferTo(out);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Checksum digest(Path file, ChecksumAlgorithm algorithm) {
        try {
            return new Checksum(algorithm, HexFormat.of().formatHex(algorithm.newDigest().digest(Files.readAllBytes(file))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Checksum sha256(Path file) {
        return digest(file, ChecksumAlgorithm.SHA256);
    }

    /** A wrong digest of the same algorithm. */
    static Checksum wrong(Checksum checksum) {
        char first = checksum.hex().charAt(0);
        return new Checksum(checksum.algorithm(), (first == '0' ? '1' : '0') + checksum.hex().substring(1));
    }

    private static void run(String... command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** A gate that admits qcow2 by its magic, refuses anything else, and records the files it saw. */
    static final class MagicGate implements ImageGate {
        final List<Path> admitted = new CopyOnWriteArrayList<>();
        final List<Path> seen = new CopyOnWriteArrayList<>();

        @Override
        public DiskFormat admit(Path image, Optional<DiskFormat> declared) {
            seen.add(image);
            byte[] head;
            try (InputStream in = Files.newInputStream(image)) {
                head = in.readNBytes(4);
            } catch (IOException e) {
                throw new ImageException("cannot read " + image, e);
            }
            if (!Arrays.equals(head, QCOW2_MAGIC)) {
                throw new ImageException(image + " is not a qcow2 image (test gate)");
            }
            if (declared.isPresent() && declared.get() != DiskFormat.QCOW2) {
                throw new ImageException(image + " is qcow2, not " + declared.get());
            }
            admitted.add(image);
            return DiskFormat.QCOW2;
        }
    }
}
