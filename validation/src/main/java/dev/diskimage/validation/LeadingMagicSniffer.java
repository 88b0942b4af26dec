package dev.diskimage.validation;

import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/**
 * A foreign format recognised by a magic at offset 0, matched alone: looser than qemu's probe
 * where qemu also checks fields after the magic, so near-misses are refused too.
 *
 * @param qemuDriver the qemu driver that would open such a file
 * @param magic      the bytes every such file starts with
 */
record LeadingMagicSniffer(String qemuDriver, byte[] magic) implements ForeignFormat {

    /**
     * Bochs growing disks: qemu 7.2 {@code block/bochs.c} ({@code bochs_probe}) matches the magic
     * {@code "Bochs Virtual HD Image"}, type {@code "Redolog"}, subtype {@code "Growing"} and
     * version 1 or 2; the magic alone is matched here.
     */
    static final LeadingMagicSniffer BOCHS = new LeadingMagicSniffer("bochs",
            "Bochs Virtual HD Image".getBytes(StandardCharsets.US_ASCII));

    /**
     * Compressed loop (cloop) images, which start with a shell script: qemu 7.2
     * {@code block/cloop.c} ({@code cloop_probe}) matches the whole V2.0 script; its first two
     * lines, which every file qemu probes as cloop starts with, are matched here.
     */
    static final LeadingMagicSniffer CLOOP = new LeadingMagicSniffer("cloop",
            "#!/bin/sh\n#V2.0 Format\n".getBytes(StandardCharsets.US_ASCII));

    /** A copy: the sniffers are shared, their magic must not change. */
    @Override
    public byte[] magic() {
        return magic.clone();
    }

    @Override
    public OptionalLong sniff(ImageBytes image) {
        return Magic.startsWith(image.read(0, magic.length), magic) ? OptionalLong.of(0) : OptionalLong.empty();
    }
}
