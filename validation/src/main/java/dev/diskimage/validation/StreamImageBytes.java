package dev.diskimage.validation;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link ImageBytes} over a stream that passes once. It keeps only the regions inspectors
 * asked for (plus the head and a tail window for footer formats); an inspector asking for a
 * region the stream has not reached yet registers it and stops, and is run again once the
 * region has passed. At end of stream the size is known and the tail window holds the footers.
 */
final class StreamImageBytes implements ImageBytes {
    /** Kept from the start of every stream: the magic and headers of every format live here. */
    static final int HEAD = 64 * 1024;
    /** Kept from the end of every stream: VHD (512 B) and VMDK (1 KiB) footers live here. */
    static final int TAIL = 64 * 1024;

    /** A region some inspector needs, filled as the stream passes it. */
    private static final class Region {
        final long offset;
        final byte[] data;

        Region(long offset, int length) {
            this.offset = offset;
            this.data = new byte[length];
        }

        long end() {
            return offset + data.length;
        }

        /** Whether this region spans all of {@code [from, to)}. */
        boolean covers(long from, long to) {
            return offset <= from && end() >= to;
        }
    }

    private final long budget;
    private final List<Region> regions = new ArrayList<>();
    /** Regions refused for the budget, as {offset, end}: asking for them again is over budget, not "passed". */
    private final List<long[]> refused = new ArrayList<>();
    private final byte[] tail = new byte[TAIL];
    private long registered;
    private long position;
    private boolean ended;

    StreamImageBytes(long budget) {
        this.budget = budget;
        // A policy may set a budget below the head (down to one 4 KiB block): keep only what it pays for,
        // so that the budget rejects the image through findings instead of failing the stream's creation.
        want(0, (int) Math.min(HEAD, budget));
    }

    /** Bytes seen so far. */
    long position() {
        return position;
    }

    /** The end of the nearest region still being filled, or {@link #NONE_PENDING} when none is. */
    long nextRegionEnd() {
        return regions.stream().mapToLong(Region::end).filter(end -> end > position).min().orElse(NONE_PENDING);
    }

    /** {@link #nextRegionEnd()} when no region is pending: beyond any position, so it never cuts a chunk. */
    static final long NONE_PENDING = Long.MAX_VALUE;

    /** Keeps the parts of {@code chunk} that fall into wanted regions and the tail window. */
    void accept(byte[] chunk, int off, int len) {
        for (Region region : regions) {
            long from = Math.max(region.offset, position);
            long to = Math.min(region.end(), position + len);
            if (from < to) { // equivalent as from <= to: from == to copies nothing (and both indexes stay in range)
                System.arraycopy(chunk, off + (int) (from - position), region.data, (int) (from - region.offset),
                        (int) (to - from));
            }
        }
        for (int i = Math.max(0, len - TAIL); i < len; i++) {
            tail[(int) ((position + i) % TAIL)] = chunk[off + i];
        }
        position += len;
    }

    /** Marks the end of the stream: from now on the size is known. */
    void end() {
        ended = true;
    }

    @Override
    public long size() {
        return ended ? position : UNKNOWN_SIZE;
    }

    @Override
    public long bytesRead() {
        // Regions and the tail window may overlap (a short stream is all head and all tail):
        // never count more than the stream held.
        return Math.min(position, Math.min(registered, position) + (ended ? Math.min(TAIL, position) : 0));
    }

    @Override
    public ByteBuffer read(long offset, int length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("negative offset or length: " + offset + ", " + length);
        }
        // Nothing at or past the end, and nothing when nothing is asked for.
        int available = (int) Math.max(0, Math.min(length, size() - offset));
        if (available == 0) {
            return ByteBuffer.allocate(0);
        }
        if (available > budget) {
            // Refuse before allocating: a read this large could never be paid for anyway.
            throw new InspectionFailure(FindingCode.READ_BUDGET_EXCEEDED, offset,
                    "a single read of " + available + " bytes exceeds the budget of " + budget + " bytes");
        }
        byte[] out = new byte[available];
        if (copyFromRegions(offset, out) || copyFromTail(offset, out)) {
            return ByteBuffer.wrap(out);
        }
        if (!ended && offset >= position) {
            want(offset, available);
        }
        for (long[] gone : refused) {
            if (offset < gone[1] && gone[0] < offset + available) {
                throw overBudget(offset);
            }
        }
        throw new RegionUnavailableException(offset, available);
    }

    private boolean copyFromRegions(long offset, byte[] out) {
        long end = offset + out.length;
        for (Region region : regions) {
            if (region.covers(offset, end) && position >= end) {
                System.arraycopy(region.data, (int) (offset - region.offset), out, 0, out.length);
                return true;
            }
        }
        return false;
    }

    private boolean copyFromTail(long offset, byte[] out) {
        long tailStart = Math.max(0, position - TAIL);
        // Once ended, reads are already clipped to the size, which is the position: only the start can fall outside.
        if (!ended || offset < tailStart) {
            return false;
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = tail[(int) ((offset + i) % TAIL)];
        }
        return true;
    }

    private void want(long offset, int length) {
        // Not a budget rule (a covered region costs nothing below either): it keeps discovery runs that
        // ask again for the same region from allocating a copy each time.
        for (Region region : regions) {
            if (region.covers(offset, offset + length)) {
                return;
            }
        }
        // Only bytes no region keeps yet cost budget, as a file's cached pages cost nothing twice.
        long cost = uncovered(offset, offset + length);
        if (registered + cost > budget) {
            refused.add(new long[] {offset, offset + length});
            throw overBudget(offset);
        }
        registered += cost;
        regions.add(new Region(offset, length));
    }

    private InspectionFailure overBudget(long offset) {
        return new InspectionFailure(FindingCode.READ_BUDGET_EXCEEDED, offset,
                "inspection would keep more than its budget of " + budget + " bytes of the stream (policy read_budget)");
    }

    /** How many bytes of {@code [from, to)} no region covers yet. */
    private long uncovered(long from, long to) {
        // Each region's overlap, clipped into [from, to]: a region that misses the range is an empty
        // interval, which splits no gap and covers nothing.
        List<long[]> covered = new ArrayList<>();
        for (Region region : regions) {
            long start = Math.min(to, Math.max(from, region.offset));
            covered.add(new long[] {start, Math.max(start, Math.min(to, region.end()))});
        }
        covered.sort((a, b) -> Long.compare(a[0], b[0]));
        long free = 0;
        long cursor = from;
        for (long[] interval : covered) {
            free += Math.max(0, interval[0] - cursor);
            cursor = Math.max(cursor, interval[1]);
        }
        return free + (to - cursor);
    }
}
