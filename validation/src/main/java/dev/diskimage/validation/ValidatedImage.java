package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.IoErrorText;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import java.util.Optional;

/**
 * An image file the validator accepted, with what it found and a snapshot of the file's
 * identity (size, last-modified time, file key) taken when it was validated. Only
 * {@link ImageValidator#check} creates one, so a method that takes a {@code ValidatedImage}
 * cannot be handed an image nobody inspected.
 *
 * <p>A path can be swapped after the check. Flows that give the path to qemu-img call
 * {@link #requireUnchanged()} immediately before they do, which narrows that window to the
 * moment between the call and qemu-img opening the file; it cannot close it entirely, since
 * qemu-img opens the file by name.
 *
 * <p>Immutable and thread-safe.
 */
public final class ValidatedImage {
    private final Path path;
    private final DiskFormat format;
    private final long virtualSize;
    private final ValidationReport report;
    private final FileIdentity identity;

    /**
     * @throws IllegalArgumentException when the report did not accept the image, or names no
     *                                  format or virtual size (an accepted report always does)
     */
    ValidatedImage(Path path, ValidationReport report, FileIdentity identity) {
        this.path = Objects.requireNonNull(path, "path");
        this.report = Objects.requireNonNull(report, "report");
        this.identity = Objects.requireNonNull(identity, "identity");
        if (!report.accepted()) {
            throw new IllegalArgumentException("a refused image cannot be a validated image: " + report.findings());
        }
        this.format = report.detectedFormat()
                .orElseThrow(() -> new IllegalArgumentException("an accepted report names its format"));
        this.virtualSize = report.virtualSize()
                .orElseThrow(() -> new IllegalArgumentException("an accepted report names its virtual size"));
    }

    /**
     * The path that was validated.
     *
     * @return the path as given to {@link ImageValidator#check}
     */
    public Path path() {
        return path;
    }

    /**
     * The format the bytes are, as the inspectors detected it (and the declared one, if any, agreed).
     *
     * @return the detected format, to name with {@code -f} when qemu-img opens the image
     */
    public DiskFormat format() {
        return format;
    }

    /**
     * The guest-visible size in bytes.
     *
     * @return the virtual size of the accepting report, in bytes (for a raw image, its file size)
     */
    public long virtualSize() {
        return virtualSize;
    }

    /**
     * The validator's full report: variant, details, warnings, references the policy allowed.
     *
     * @return the accepting report
     */
    public ValidationReport report() {
        return report;
    }

    /**
     * The file's size in bytes when it was validated.
     *
     * @return the file size in bytes on the host, not the virtual size
     */
    public long size() {
        return identity.size();
    }

    /**
     * The file's last-modified time when it was validated.
     *
     * @return the modification time read before the file was opened
     */
    public FileTime lastModified() {
        return identity.lastModified();
    }

    /**
     * The file system's identity of the file when it was validated (on Unix, device and inode),
     * or empty where the file system offers none.
     *
     * @return the {@link java.nio.file.attribute.BasicFileAttributes#fileKey() file key}, or empty
     */
    public Optional<Object> fileKey() {
        return identity.fileKey();
    }

    /**
     * Checks that the path still leads to the very file that was validated, unmodified: same file
     * key, size and last-modified time. Call it right before handing {@link #path()} to a tool.
     *
     * @return this image, for chaining
     * @throws ImageChangedException when the file was modified, replaced by another file, or can
     *                               no longer be read
     */
    public ValidatedImage requireUnchanged() {
        FileIdentity now;
        try {
            now = FileIdentity.read(path);
        } catch (IOException e) {
            throw new ImageChangedException(path, "can no longer be read (" + IoErrorText.describe(e) + ")");
        }
        Optional<String> change = identity.differenceTo(now);
        if (change.isPresent()) {
            throw new ImageChangedException(path, change.get());
        }
        return this;
    }

    @Override
    public String toString() {
        return "ValidatedImage[" + path + ", " + format.qemuName() + ", " + virtualSize + " bytes]";
    }
}
