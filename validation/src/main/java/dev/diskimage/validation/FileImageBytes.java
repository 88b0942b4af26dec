package dev.diskimage.validation;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link ImageBytes} over a positional channel. Reads whole aligned blocks and keeps them, so
 * that the many inspectors looking at the same header cost one read, and counts every byte
 * fetched against a budget: no image, however large or hostile, makes inspection read more.
 * Copes with channels that return fewer bytes than asked (short reads).
 *
 * <p>Part of the budget is reserved for the sniff zone (the head and the tail of the file,
 * where every format's magic, header and footer live), so that an inspector that spends the
 * rest on deep tables can never leave another inspector unable to look at its magic. An
 * inspector that runs out of budget fails with {@link FindingCode#READ_BUDGET_EXCEEDED}, which
 * rejects the image whether or not that inspector had recognised its format.
 */
final class FileImageBytes implements ImageBytes {
    /** Granularity of reads and of the cache; one page. */
    static final int BLOCK = 4096;
    /** Blocks at the start of the file in the sniff zone: 64 KiB, as a stream's kept head. */
    static final int SNIFF_HEAD_BLOCKS = 16;
    /** Blocks at the end of the file in the sniff zone: footers (VHD, VMDK, DMG) live there. */
    static final int SNIFF_TAIL_BLOCKS = 2;

    private final SeekableByteChannel channel;
    private final long size;
    private final long budget;
    private final long sniffReserve;
    private final long lastBlock;
    private final Map<Long, byte[]> blocks = new HashMap<>();
    private long sniffBytesRead;
    private long deepBytesRead;

    /**
     * @param channel an open channel on the image; not closed by this class
     * @param size    the image size in bytes
     * @param budget  the most bytes this instance may fetch from the channel
     */
    FileImageBytes(SeekableByteChannel channel, long size, long budget) {
        this.channel = channel;
        this.size = size;
        this.budget = budget;
        this.sniffReserve = Math.min(budget, (long) (SNIFF_HEAD_BLOCKS + SNIFF_TAIL_BLOCKS) * BLOCK);
        this.lastBlock = size == 0 ? 0 : (size - 1) / BLOCK;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public long bytesRead() {
        return sniffBytesRead + deepBytesRead;
    }

    @Override
    public ByteBuffer read(long offset, int length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative offset or length: " + offset + ", " + length);
        }
        if (offset >= size || length == 0) {
            return ByteBuffer.allocate(0);
        }
        int available = (int) Math.min(length, size - offset);
        if (available > budget) {
            // Refuse before allocating: a read this large could never be paid for anyway.
            throw new InspectionFailure(FindingCode.READ_BUDGET_EXCEEDED, offset,
                    "a single read of " + available + " bytes exceeds the budget of " + budget + " bytes");
        }
        byte[] out = new byte[available];
        int filled = 0;
        long first = offset / BLOCK;
        long last = (offset + available - 1) / BLOCK;
        for (long block = first; block <= last; block++) {
            byte[] data = block(block);
            long blockStart = block * BLOCK;
            long to = Math.min(offset + available, blockStart + data.length);
            // Guards only the copy of a block that ended before the read began (a file that
            // shrank); copying zero bytes instead would change nothing.
            if (to > offset + filled) {
                System.arraycopy(data, (int) (offset + filled - blockStart), out, filled, (int) (to - offset - filled));
                filled = (int) (to - offset);
            }
            // Only the file's last block is short, unless the file shrank underneath: stop there.
            if (data.length < BLOCK) {
                break;
            }
        }
        // A file that shrank underneath ends where its bytes end: a short read, never zeros.
        return ByteBuffer.wrap(filled == available ? out : java.util.Arrays.copyOf(out, filled));
    }

    private byte[] block(long index) {
        byte[] cached = blocks.get(index);
        if (cached != null) {
            return cached;
        }
        long start = index * BLOCK;
        int length = (int) Math.min(BLOCK, size - start);
        boolean sniff = index < SNIFF_HEAD_BLOCKS || index > lastBlock - SNIFF_TAIL_BLOCKS;
        if (sniff ? sniffBytesRead + length > sniffReserve : deepBytesRead + length > budget - sniffReserve) {
            throw new InspectionFailure(FindingCode.READ_BUDGET_EXCEEDED, start,
                    "inspection would read more than its budget of " + budget + " bytes (policy read_budget)");
        }
        ByteBuffer buffer = ByteBuffer.allocate(length);
        try {
            channel.position(start);
            while (buffer.hasRemaining()) {
                // End of file, or a channel that makes no progress: what was read is all there is
                // (a file that shrank underneath); never spin waiting for more.
                if (channel.read(buffer) <= 0) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new InspectionFailure(FindingCode.UNREADABLE, start, "cannot read the image: " + e.getMessage());
        }
        if (sniff) {
            sniffBytesRead += length;
        } else {
            deepBytesRead += length;
        }
        byte[] data = buffer.position() == length ? buffer.array() : java.util.Arrays.copyOf(buffer.array(),
                buffer.position());
        blocks.put(index, data);
        return data;
    }
}
