package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A tiny made-up format for framework tests: magic "TOY!" at 0, a u64 table offset at 8, the
 * text "TABLE" at that offset, and the text "FOOTER" in the last 6 bytes. A table offset of
 * {@link #TABLE_AT_END} defers to a copy of the offset just before the footer. It exercises every
 * kind of region the real inspectors read: head, a pointed-to table anywhere, and a footer.
 */
final class ToyInspector implements FormatInspector {
    /** Header value meaning "the table offset is in the 8 bytes before the footer", like a GD-at-end VMDK. */
    static final long TABLE_AT_END = -1;

    private final DiskFormat pretendFormat;

    ToyInspector(DiskFormat pretendFormat) {
        this.pretendFormat = pretendFormat;
    }

    @Override
    public DiskFormat format() {
        return pretendFormat;
    }

    @Override
    public void inspect(ImageBytes image, InspectionBuilder result) {
        ByteBuffer head = image.read(0, 16);
        if (head.remaining() < 4 || head.getInt(0) != 0x544f5921) {
            return;
        }
        result.magicFound();
        head = image.readExactly(0, 16, "toy header");
        long table = head.getLong(8) == TABLE_AT_END
                ? Bounds.u64(image.readExactly(image.size() - 14, 8, "toy footer pointer"), 0, image.size() - 14,
                        FindingCode.MALFORMED_HEADER, "footer table offset")
                : Bounds.u64(head, 8, 0, FindingCode.MALFORMED_HEADER, "table offset");
        String tableText = text(image.readExactly(table, 5, "toy table"));
        if (!tableText.equals("TABLE")) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, table, "no table at " + table);
        }
        String footer = text(image.readExactly(image.size() - 6, 6, "toy footer"));
        if (!footer.equals("FOOTER")) {
            throw new InspectionFailure(FindingCode.MALFORMED_HEADER, image.size() - 6, "no footer");
        }
        result.matched().virtualSize(image.size()).variant("toy");
    }

    private static String text(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    /** Builds a toy image whose table offset is only in the footer. */
    static byte[] imageWithOffsetInFooter(int size, long tableOffset) {
        byte[] data = image(size, tableOffset);
        ByteBuffer buffer = ByteBuffer.wrap(data);
        buffer.putLong(8, TABLE_AT_END);
        buffer.putLong(size - 14, tableOffset);
        return data;
    }

    /** Builds a toy image of {@code size} bytes with the table at {@code tableOffset}. */
    static byte[] image(int size, long tableOffset) {
        byte[] data = new byte[size];
        ByteBuffer buffer = ByteBuffer.wrap(data);
        buffer.putInt(0, 0x544f5921);
        buffer.putLong(8, tableOffset);
        System.arraycopy("TABLE".getBytes(StandardCharsets.US_ASCII), 0, data, (int) tableOffset, 5);
        System.arraycopy("FOOTER".getBytes(StandardCharsets.US_ASCII), 0, data, size - 6, 6);
        return data;
    }
}
