package dev.diskimage.validation;

import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/**
 * Compressed loop (cloop) images, which start with a shell script. qemu 7.2 {@code block/cloop.c}
 * ({@code cloop_probe}) matches the whole V2.0 script line by line; this sniffer matches its first
 * two lines, which every file qemu probes as cloop starts with.
 */
final class CloopSniffer implements ForeignFormat {
    // block/cloop.c: the start of magic_version_2_0 at offset 0.
    static final byte[] MAGIC = "#!/bin/sh\n#V2.0 Format\n".getBytes(StandardCharsets.US_ASCII);

    @Override
    public String qemuDriver() {
        return "cloop";
    }

    @Override
    public OptionalLong sniff(ImageBytes image) {
        return Magic.startsWith(image.read(0, MAGIC.length), MAGIC) ? OptionalLong.of(0) : OptionalLong.empty();
    }
}
