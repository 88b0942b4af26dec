package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.DiskFormat;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read budget is shared by all inspectors; one that spends it must never make another
 * inspector's failure to look count as "not this format".
 */
class ReadBudgetTest {
    private static final int BUDGET = 256 * 1024;

    @TempDir
    Path dir;

    /** Reads {@code deepBytes} from {@code start} without finding any magic, like a long table walk. */
    private record GreedyInspector(long start, long deepBytes) implements FormatInspector {
        /** Reads from the end of the sniff head on. */
        GreedyInspector(long deepBytes) {
            this((long) FileImageBytes.SNIFF_HEAD_BLOCKS * FileImageBytes.BLOCK, deepBytes);
        }

        @Override
        public DiskFormat format() {
            return DiskFormat.QED;
        }

        @Override
        public void inspect(ImageBytes image, InspectionBuilder result) {
            for (long at = start; at < start + deepBytes; at += FileImageBytes.BLOCK) {
                image.read(at, FileImageBytes.BLOCK);
            }
        }
    }

    private Detection detect(byte[] image, FormatInspector... inspectors) throws IOException {
        Path file = Files.write(dir.resolve("image"), image);
        try (SeekableByteChannel channel = Files.newByteChannel(file, StandardOpenOption.READ)) {
            return new FormatDetector(List.of(inspectors)).detect(new FileImageBytes(channel, image.length, BUDGET));
        }
    }

    private static long deepAllowance() {
        return BUDGET - (long) (FileImageBytes.SNIFF_HEAD_BLOCKS + FileImageBytes.SNIFF_TAIL_BLOCKS)
                * FileImageBytes.BLOCK;
    }

    @Test
    void anInspectorThatSpendsTheDeepBudgetStillLeavesEveryOtherInspectorItsSniff() throws IOException {
        byte[] toy = ToyInspector.image(1 << 20, 100);

        Detection detection = detect(toy, new GreedyInspector(deepAllowance()), new ToyInspector(DiskFormat.VMDK));

        assertThat(detection.format()).contains(DiskFormat.VMDK);
        assertThat(detection.findings()).noneMatch(Finding::rejects);
    }

    @Test
    void anInspectorStarvedOfItsDeepReadRejectsEvenThoughItSawNoMagicYet() throws IOException {
        byte[] raw = new byte[1 << 20];

        Detection detection = detect(raw, new GreedyInspector(deepAllowance()),
                new GreedyInspector(512 * 1024, 8192));

        assertThat(detection.format()).isEmpty();
        assertThat(detection.findings()).extracting(Finding::code).containsExactly(FindingCode.READ_BUDGET_EXCEEDED);
        assertThat(detection.findings().get(0).message()).contains("read_budget");
    }

    @Test
    void aPolyglotBehindABudgetSpendingFormatIsNeverHidden() throws IOException {
        // The second format's table lies deep in the file: it cannot be read once the first has spent the budget.
        byte[] toy = ToyInspector.image(1 << 20, 512 * 1024);

        Detection detection = detect(toy, new GreedyInspector(deepAllowance()), new ToyInspector(DiskFormat.VMDK));

        assertThat(detection.format()).isEmpty();
        assertThat(detection.findings()).extracting(Finding::code).contains(FindingCode.READ_BUDGET_EXCEEDED);
    }
}
