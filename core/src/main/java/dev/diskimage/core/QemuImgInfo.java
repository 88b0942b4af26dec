package dev.diskimage.core;

import com.google.common.collect.ImmutableMap;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What {@code qemu-img info} reports about one image, parsed from {@code --output=json} with
 * {@link #fromJson(String)} or from the human-readable text with {@link #fromHumanText(String)};
 * both give the same record. Required fields ({@code filename}, {@code format},
 * {@code virtual-size}) are checked, fields this record does not model are kept in
 * {@link #unknown()}, and problems raise {@link QemuImgInfoParseException}, never a null.
 *
 * @param filename the image file name as qemu-img was given it
 * @param formatName the format qemu reports, verbatim ({@code qcow2}, {@code vpc}, {@code file} ...)
 * @param virtualSize the guest-visible size in bytes
 * @param actualSize bytes allocated on the host (approximate when parsed from human text)
 * @param clusterSize the cluster (grain, block) size in bytes, if the format has one
 * @param dirty whether the image was not cleanly shut down
 * @param encrypted whether the image is encrypted
 * @param backingFilename the backing file as written in the image, if any
 * @param fullBackingFilename the backing file resolved against the image's directory, if known
 * @param backingFormat the backing file's format as recorded in the image, if any
 * @param snapshots internal snapshots
 * @param formatSpecific format-specific details, if qemu reports any
 * @param backingImage the backing image's info (nested {@code backing-image}), if reported
 * @param children the block graph children (qemu 8+), e.g. the {@code file} protocol node
 * @param unknown top-level fields this record does not model, in the order reported
 */
public record QemuImgInfo(
        String filename,
        String formatName,
        long virtualSize,
        OptionalLong actualSize,
        OptionalLong clusterSize,
        boolean dirty,
        boolean encrypted,
        Optional<String> backingFilename,
        Optional<String> fullBackingFilename,
        Optional<String> backingFormat,
        List<Snapshot> snapshots,
        Optional<QemuImgFormatSpecific> formatSpecific,
        Optional<QemuImgInfo> backingImage,
        List<Child> children,
        Map<String, QemuImgValue> unknown) {

    /** Largest JSON answer accepted (8 MiB); qemu's real answers are a few KiB. */
    public static final int MAX_JSON_CHARS = 8 << 20;

    /**
     * Copies the collections so the record is immutable.
     *
     * @param filename the image file name as qemu-img was given it
     * @param formatName the format qemu reports, verbatim ({@code qcow2}, {@code vpc}, {@code file} ...)
     * @param virtualSize the guest-visible size in bytes
     * @param actualSize bytes allocated on the host (approximate when parsed from human text)
     * @param clusterSize the cluster (grain, block) size in bytes, if the format has one
     * @param dirty whether the image was not cleanly shut down
     * @param encrypted whether the image is encrypted
     * @param backingFilename the backing file as written in the image, if any
     * @param fullBackingFilename the backing file resolved against the image's directory, if known
     * @param backingFormat the backing file's format as recorded in the image, if any
     * @param snapshots internal snapshots
     * @param formatSpecific format-specific details, if qemu reports any
     * @param backingImage the backing image's info (nested {@code backing-image}), if reported
     * @param children the block graph children (qemu 8+), e.g. the {@code file} protocol node
     * @param unknown top-level fields this record does not model, in the order reported
     * @throws NullPointerException if a collection, or an element, key or value in one, is null
     */
    public QemuImgInfo {
        snapshots = List.copyOf(snapshots);
        children = List.copyOf(children);
        unknown = ImmutableMap.copyOf(unknown);
    }

    /**
     * Parses the JSON of {@code qemu-img info --output=json}. An array (the answer with
     * {@code --backing-chain}) is accepted too: its elements are linked through
     * {@link #backingImage()}, the first element being the returned image.
     *
     * @param json the JSON text qemu-img printed, an object or an array of objects, at most
     *     {@link #MAX_JSON_CHARS} characters
     * @return the image's info, with its backing images nested when {@code json} is an array
     * @throws QemuImgInfoParseException if the JSON is malformed, too large, or lacks or
     *     mistypes a field
     */
    public static QemuImgInfo fromJson(String json) {
        return QemuImgInfoReader.readJson(json);
    }

    /**
     * Parses the human-readable output of {@code qemu-img info}. Sizes that qemu prints rounded
     * ({@code disk size: 1.21 MiB}, snapshot VM sizes) are approximate, snapshot dates are read
     * as UTC (run qemu-img with {@code TZ=UTC}), and qemu 8's {@code Child node} sections are
     * skipped; everything else matches {@link #fromJson(String)}.
     *
     * @param text what {@code qemu-img info} printed without {@code --output=json}
     * @return the image's info, with no {@link #backingImage()}
     * @throws QemuImgInfoParseException if a required line is missing or malformed
     */
    public static QemuImgInfo fromHumanText(String text) {
        return QemuImgInfoReader.readTree(QemuImgHumanInfoParser.parse(text), true);
    }

    /**
     * The reported format as a {@link DiskFormat}, empty when this project does not know it.
     *
     * @return the format named by {@link #formatName()} (never {@link DiskFormat#ISO}), or empty
     *     for a name such as {@code file} or {@code rbd}
     */
    public Optional<DiskFormat> diskFormat() {
        try {
            return Optional.of(DiskFormat.fromQemuName(formatName));
        } catch (IllegalArgumentException unknownFormat) {
            return Optional.empty();
        }
    }

    /**
     * Whether the image names a backing file.
     *
     * @return true if {@link #backingFilename()} is present
     */
    public boolean hasBackingFile() {
        return backingFilename.isPresent();
    }

    /**
     * This image followed by its nested backing images, top first.
     *
     * @return an unmodifiable list of at least one element: this image, then each
     *     {@link #backingImage()} in turn
     */
    public List<QemuImgInfo> backingChain() {
        List<QemuImgInfo> chain = new ArrayList<>();
        for (Optional<QemuImgInfo> next = Optional.of(this); next.isPresent(); next = next.get().backingImage) {
            chain.add(next.get());
        }
        return List.copyOf(chain);
    }

    /** A copy of this info with {@code backing} as its nested backing image. */
    QemuImgInfo withBackingImage(QemuImgInfo backing) {
        return new QemuImgInfo(filename, formatName, virtualSize, actualSize, clusterSize, dirty, encrypted,
                backingFilename, fullBackingFilename, backingFormat, snapshots, formatSpecific,
                Optional.of(backing), children, unknown);
    }

    /**
     * An internal snapshot.
     *
     * @param id the snapshot id
     * @param name the snapshot tag
     * @param vmStateSize bytes of saved VM state (approximate from human text)
     * @param date when the snapshot was taken
     * @param vmClock guest clock at the snapshot
     * @param icount instruction count (record/replay), if reported
     * @param unknown fields this record does not model
     */
    public record Snapshot(String id, String name, long vmStateSize, Instant date, Duration vmClock,
            OptionalLong icount, Map<String, QemuImgValue> unknown) {
        /**
         * Copies the unknown fields.
         *
         * @param id the snapshot id
         * @param name the snapshot tag
         * @param vmStateSize bytes of saved VM state (approximate from human text)
         * @param date when the snapshot was taken
         * @param vmClock guest clock at the snapshot
         * @param icount instruction count (record/replay), if reported
         * @param unknown fields this record does not model
         * @throws NullPointerException if the map, or a key or value in it, is null
         */
        public Snapshot {
            unknown = ImmutableMap.copyOf(unknown);
        }
    }

    /**
     * A child node in the block graph (qemu 8+ reports {@code children}).
     *
     * @param name the child role, e.g. {@code file} or {@code backing}
     * @param info the child's info
     */
    public record Child(String name, QemuImgInfo info) {
    }
}
