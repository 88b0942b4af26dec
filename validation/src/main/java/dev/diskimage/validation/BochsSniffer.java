package dev.diskimage.validation;

import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/**
 * Bochs growing disks. qemu 7.2 {@code block/bochs.c} ({@code bochs_probe}) matches the magic
 * {@code "Bochs Virtual HD Image"}, type {@code "Redolog"}, subtype {@code "Growing"} and
 * version 1 or 2; this sniffer matches the magic alone, so near-misses are refused too.
 */
final class BochsSniffer implements ForeignFormat {
    // block/bochs.c: HEADER_MAGIC at offset 0.
    static final byte[] MAGIC = "Bochs Virtual HD Image".getBytes(StandardCharsets.US_ASCII);

    @Override
    public String qemuDriver() {
        return "bochs";
    }

    @Override
    public OptionalLong sniff(ImageBytes image) {
        return Magic.startsWith(image.read(0, MAGIC.length), MAGIC) ? OptionalLong.of(0) : OptionalLong.empty();
    }
}
