package dev.diskimage.conversion;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.QemuImg;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;

/**
 * How many bytes from its start a conversion wrote into a target it wrote in place (a block
 * device, an existing file), so that the output is validated as those bytes and not as the
 * whole target: past the new image's end the target still holds what was there before, and an
 * earlier image's end-of-file structure (a VHD footer, a GPT backup header) would make a good
 * output look like a polyglot.
 *
 * <p>Known exactly for a plain raw output (the source's virtual size) and for qcow2 and
 * parallels outputs ({@code qemu-img check}'s image end offset, with {@code -f}: the output is
 * qemu-img's own work from an accepted source). For other formats, and for encrypted outputs,
 * the whole target is validated.
 */
final class WrittenExtent {
    private WrittenExtent() {
    }

    /**
     * The length to validate.
     *
     * @param qemu the qemu-img that wrote the target
     * @param target the target, written in place
     * @param format the format written
     * @param encrypted whether the output is encrypted (a LUKS payload, an encrypted qcow2)
     * @param sourceVirtualSize the accepted source's virtual size
     * @return the bytes from the target's start that hold the new image
     */
    static long of(QemuImg qemu, Path target, DiskFormat format, boolean encrypted, long sourceVirtualSize) {
        long whole = sizeOf(target);
        if (encrypted) {
            return whole;
        }
        OptionalLong written = switch (format) {
            case RAW -> OptionalLong.of(sourceVirtualSize);
            case QCOW2, PARALLELS -> qemu.check(target, format).imageEndOffset();
            default -> OptionalLong.empty();
        };
        // A reported end beyond the target would be qemu-img's error; the whole target then.
        return written.isPresent() && written.getAsLong() <= whole ? written.getAsLong() : whole;
    }

    /** The target's size; a block device's real size, which {@code Files.size} reports as 0. */
    private static long sizeOf(Path target) {
        try (FileChannel channel = FileChannel.open(target, StandardOpenOption.READ)) {
            return channel.size();
        } catch (IOException e) {
            throw new ImageIoException("cannot read the size of the converted output", target, e);
        }
    }
}
