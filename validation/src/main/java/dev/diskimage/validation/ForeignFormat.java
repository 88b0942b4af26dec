package dev.diskimage.validation;

import java.util.OptionalLong;

/**
 * A disk format that qemu-img 7.2 recognises when it probes a file, but that this project does
 * not support (bochs, cloop, dmg, qcow version 1). Such a file must never pass as raw, nor as
 * anything else: a consumer that lets qemu probe would open it with another driver.
 *
 * <p>A sniffer recognises at least every file qemu's probe recognises (it may be looser, never
 * stricter), so that "raw" really means "no format qemu would probe matches". It reads with
 * {@link ImageBytes#read} only, which is short at the end of the image rather than failing; the
 * only failures it lets through are those of the read budget and of I/O, which mean it could not
 * look. Implementations are stateless and thread-safe.
 */
interface ForeignFormat {

    /** The qemu driver that would open the file ({@code bochs}, {@code cloop}, {@code dmg}, {@code qcow}). */
    String qemuDriver();

    /** How a finding names the format, e.g. {@code qcow version 1}. */
    default String description() {
        return qemuDriver();
    }

    /** Where the evidence lies when the bytes are this format; empty when they are not. */
    OptionalLong sniff(ImageBytes image);
}
