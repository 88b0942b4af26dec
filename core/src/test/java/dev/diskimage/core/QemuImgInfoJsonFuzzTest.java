package dev.diskimage.core;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Feeds arbitrary text to {@link QemuImgInfo#fromJson}, as a hostile or broken {@code qemu-img info --output=json}
 * would: it must return a record or throw {@link QemuImgInfoParseException}, nothing else.
 */
class QemuImgInfoJsonFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void parsesAnyJson(byte[] data) {
        try {
            QemuImgInfo.fromJson(new String(data, StandardCharsets.UTF_8));
        } catch (QemuImgInfoParseException expected) {
            // The one failure the contract allows.
        }
    }
}
