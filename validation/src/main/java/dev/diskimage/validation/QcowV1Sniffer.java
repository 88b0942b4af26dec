package dev.diskimage.validation;

import java.nio.ByteBuffer;
import java.util.OptionalLong;

/**
 * The original qcow format (version 1). qemu 7.2 {@code block/qcow.c} ({@code qcow_probe})
 * matches the qcow magic {@code "QFI\xfb"} with version 1; {@link Qcow2Inspector} leaves exactly
 * these files to this sniffer.
 */
final class QcowV1Sniffer implements ForeignFormat {
    // block/qcow.c: QCOW_MAGIC and QCOW_VERSION, big-endian at offsets 0 and 4.
    static final int MAGIC = 0x514649fb;
    static final long VERSION = 1;

    @Override
    public String qemuDriver() {
        return "qcow";
    }

    @Override
    public String description() {
        return "qcow version 1";
    }

    @Override
    public OptionalLong sniff(ImageBytes image) {
        return isQcowV1(image.read(0, 8)) ? OptionalLong.of(0) : OptionalLong.empty();
    }

    /** Whether a big-endian header starts with the qcow magic and version 1. */
    static boolean isQcowV1(ByteBuffer header) {
        return header.remaining() >= 8 && header.getInt(0) == MAGIC && Bounds.u32(header, 4) == VERSION;
    }
}
