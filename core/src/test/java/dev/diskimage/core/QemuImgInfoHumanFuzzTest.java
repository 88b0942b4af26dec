package dev.diskimage.core;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Feeds arbitrary text to {@link QemuImgInfo#fromHumanText}, as a hostile or broken {@code qemu-img info}
 * would: it must return a record or throw {@link QemuImgInfoParseException}, nothing else.
 */
class QemuImgInfoHumanFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void parsesAnyText(byte[] data) {
        try {
            QemuImgInfo.fromHumanText(new String(data, StandardCharsets.UTF_8));
        } catch (QemuImgInfoParseException expected) {
            // The one failure the contract allows.
        }
    }
}
