package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.testing.OneBytePerReadChannel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class InspectingInputStreamTest {
    private final ImageValidator validator = new ImageValidator(ImagePolicy.defaults(),
            List.of(new ToyInspector(DiskFormat.QED)));

    /** Hands out at most {@code chunk} bytes per read, like a network stream. */
    private static InputStream chunked(byte[] data, int chunk) {
        return new FilterInputStream(new ByteArrayInputStream(data)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, chunk));
            }
        };
    }

    private ValidationReport stream(byte[] image, int chunk) throws IOException {
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        try (InspectingInputStream in = validator.inspecting(chunked(image, chunk), "toy", DiskFormat.QED)) {
            in.transferTo(copy);
            assertThat(copy.toByteArray()).isEqualTo(image);
            return in.report();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 4096, 65536, 1 << 20})
    void capturesTablesFarBehindTheHeadAndTheFooterWhateverTheChunkSize(int chunk) throws IOException {
        byte[] image = ToyInspector.image(300 * 1024, 200 * 1024 + 3);

        ValidationReport report = stream(image, chunk);

        assertThat(report.accepted()).as(report.findings().toString()).isTrue();
        assertThat(report.detectedFormat()).contains(DiskFormat.QED);
        assertThat(report.virtualSize()).hasValue(image.length);
        assertThat(report.bytesRead()).isLessThan(200 * 1024);
    }

    @Test
    void neverCountsMoreBytesThanTheStreamHeld() throws IOException {
        ValidationReport report = validator.inspecting(new java.io.ByteArrayInputStream(new byte[5]), "tiny")
                .drainAndReport();

        assertThat(report.bytesRead()).isEqualTo(5);
    }

    @Test
    void aRegionOverlappingTheKeptHeadPaysOnlyForItsNewBytes() {
        StreamImageBytes bytes = new StreamImageBytes(StreamImageBytes.HEAD + 4096);

        // Half of this region is already kept as the head: it fits the 4 KiB left of the budget.
        assertThatThrownBy(() -> bytes.read(StreamImageBytes.HEAD - 4096, 8192))
                .isInstanceOf(RegionUnavailableException.class);
        assertThatThrownBy(() -> bytes.read(StreamImageBytes.HEAD + 4096, 1))
                .isInstanceOfSatisfying(InspectionFailure.class,
                        f -> assertThat(f.code()).isEqualTo(FindingCode.READ_BUDGET_EXCEEDED));
    }

    @Test
    void agreesWithFileValidationOnTheSameBytes() throws IOException {
        byte[] image = ToyInspector.image(100 * 1024, 70_000);
        ValidationReport fromStream = stream(image, 8192);
        ValidationReport fromFile = validator.validate("toy",
                new FileImageBytes(new OneBytePerReadChannel(image), image.length, 1 << 20),
                java.util.Optional.of(DiskFormat.QED));

        assertThat(fromStream.verdict()).isEqualTo(fromFile.verdict());
        assertThat(fromStream.virtualSize()).isEqualTo(fromFile.virtualSize());
    }

    @Test
    void capturesATableJustBehindTheHeadEvenInsideTheSameChunk() throws IOException {
        byte[] image = ToyInspector.image(300 * 1024, 70_000);

        ValidationReport report = stream(image, 1 << 20);

        assertThat(report.accepted()).as(report.findings().toString()).isTrue();
    }

    @Test
    void rejectsWhenTheFooterPointsBackwardsToBytesAlreadyPassed() throws IOException {
        byte[] image = ToyInspector.imageWithOffsetInFooter(300 * 1024, 100_000);

        ValidationReport report = stream(image, 4096);

        assertThat(report.accepted()).isFalse();
        assertThat(report.rejections()).extracting(f -> f.code()).contains(FindingCode.STREAM_REGION_UNAVAILABLE);
        assertThat(validator.validate("toy", new FileImageBytes(new OneBytePerReadChannel(image), image.length, 1 << 20),
                java.util.Optional.empty()).accepted()).isTrue();
    }

    @Test
    void footerPointerIntoTheTailWindowStillWorks() throws IOException {
        byte[] image = ToyInspector.imageWithOffsetInFooter(300 * 1024, 300 * 1024 - 1000);

        assertThat(stream(image, 4096).accepted()).isTrue();
    }

    @Test
    void truncatedStreamIsRejectedAsTruncatedNotAccepted() throws IOException {
        byte[] image = ToyInspector.image(300 * 1024, 250 * 1024);
        byte[] cut = java.util.Arrays.copyOf(image, 200 * 1024);

        ValidationReport report = stream(cut, 4096);

        assertThat(report.accepted()).isFalse();
        assertThat(report.rejections()).extracting(f -> f.code()).contains(FindingCode.TRUNCATED);
    }

    @Test
    void reportIsUnavailableBeforeTheEnd() throws IOException {
        byte[] image = ToyInspector.image(10_000, 100);
        try (InspectingInputStream in = validator.inspecting(new ByteArrayInputStream(image), "toy")) {
            in.read(new byte[10]);
            assertThat(in.isComplete()).isFalse();
            org.assertj.core.api.Assertions.assertThatThrownBy(in::report).isInstanceOf(IllegalStateException.class);
            assertThat(in.drainAndReport().accepted()).isTrue();
        }
    }
    @Test
    void singleByteReadsPassEveryByteUnchangedAndEndWithTheVerdict() throws IOException {
        byte[] image = ToyInspector.image(10_000, 100);
        image[5000] = (byte) 0xff;
        image[5001] = (byte) 0x80;
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        try (InspectingInputStream in = validator.inspecting(new ByteArrayInputStream(image), "toy")) {
            int b;
            while ((b = in.read()) >= 0) {
                copy.write(b);
            }
            assertThat(in.read()).isEqualTo(-1);
            assertThat(copy.toByteArray()).isEqualTo(image);
            assertThat(in.isComplete()).isTrue();
            assertThat(in.report().accepted()).as(in.report().findings().toString()).isTrue();
        }
    }

    @Test
    void skippedBytesStillPassTheInspectors() throws IOException {
        byte[] image = ToyInspector.image(300 * 1024, 200 * 1024 + 3);
        try (InspectingInputStream in = validator.inspecting(new ByteArrayInputStream(image), "toy",
                DiskFormat.QED)) {
            assertThat(in.skip(150_000)).isEqualTo(150_000);
            assertThat(in.read()).isEqualTo(image[150_000] & 0xff);
            assertThat(in.isComplete()).isFalse();
            assertThat(in.skip(1 << 20)).isEqualTo(image.length - 150_001);
            assertThat(in.skip(10)).isZero();
            assertThat(in.isComplete()).isTrue();
            assertThat(in.report().accepted()).as(in.report().findings().toString()).isTrue();
            assertThat(in.report().virtualSize()).hasValue(image.length);
        }
    }

    @Test
    void markAndResetAreRefusedBecauseTheInspectorsCannotSeeBytesTwice() throws IOException {
        try (InspectingInputStream in = validator.inspecting(new ByteArrayInputStream(new byte[100]), "toy")) {
            in.read(new byte[10]);
            in.mark(100);
            assertThat(in.markSupported()).isFalse();
            assertThatThrownBy(in::reset).isInstanceOf(IOException.class).hasMessageContaining("not supported");
            assertThat(in.read()).isZero();
        }
    }

    @Test
    void aBudgetSmallerThanTheKeptHeadRejectsTheStreamLikeTheFile() throws IOException {
        ImageValidator tight = new ImageValidator(ImagePolicy.defaults().withReadBudget(4096),
                List.of(new ToyInspector(DiskFormat.QED)));
        byte[] image = ToyInspector.image(300 * 1024, 100_000);

        ValidationReport fromStream = tight.inspecting(new ByteArrayInputStream(image), "toy").drainAndReport();
        ValidationReport fromFile = tight.validate("toy",
                new FileImageBytes(new OneBytePerReadChannel(image), image.length, 4096), java.util.Optional.empty());

        assertThat(fromFile.rejections()).extracting(Finding::code).contains(FindingCode.READ_BUDGET_EXCEEDED);
        // The table the budget could not keep is gone by the end of the stream, and the report says
        // why: the budget, which an operator can raise, not a region behind the stream.
        assertThat(fromStream.rejections()).extracting(Finding::code)
                .containsExactly(FindingCode.READ_BUDGET_EXCEEDED);
        assertThat(fromStream.rejections().get(0).offset()).isEqualTo(100_000);
        assertThat(fromStream.bytesRead()).isLessThanOrEqualTo(4096 + StreamImageBytes.TAIL);
        // Within the budget a tiny image still streams to a verdict.
        assertThat(tight.inspecting(new ByteArrayInputStream(ToyInspector.image(3000, 100)), "toy")
                .drainAndReport().accepted()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(ints = {4096, 1 << 20})
    void aPointerChainIsFollowedUpToTheDiscoveryLimitAndRefusedBeyondIt(int chunk) throws IOException {
        ImageValidator chains = new ImageValidator(ImagePolicy.defaults(), List.of(new ChainInspector()));
        byte[] longest = ChainInspector.image(256);
        byte[] tooLong = ChainInspector.image(257);

        ValidationReport followed = chains.inspecting(chunked(longest, chunk), "chain").drainAndReport();
        ValidationReport refused = chains.inspecting(chunked(tooLong, chunk), "chain").drainAndReport();

        assertThat(followed.accepted()).as(followed.findings().toString()).isTrue();
        assertThat(refused.rejections()).extracting(Finding::code)
                .containsExactly(FindingCode.STREAM_REGION_UNAVAILABLE);
        assertThat(chains.validate("chain", new FileImageBytes(new OneBytePerReadChannel(tooLong), tooLong.length,
                1 << 20), java.util.Optional.empty()).accepted()).isTrue();
    }

    @Test
    void anEmptyReadIsNotTheEndOfTheStream() throws IOException {
        byte[] image = ToyInspector.image(10_000, 100);
        try (InspectingInputStream in = validator.inspecting(new ByteArrayInputStream(image), "toy")) {
            assertThat(in.read(new byte[10], 0, 0)).isZero();
            assertThat(in.isComplete()).isFalse();
            assertThat(in.drainAndReport().accepted()).isTrue();
        }
    }

    @Test
    void aStreamThatSometimesReturnsNothingIsStillSkippedAndDrainedToItsVerdict() throws IOException {
        byte[] image = ToyInspector.image(300 * 1024, 200 * 1024 + 3);
        InputStream stalling = new FilterInputStream(new ByteArrayInputStream(image)) {
            private boolean stall;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                stall = !stall;
                return stall ? 0 : super.read(b, off, Math.min(len, 5000));
            }
        };
        try (InspectingInputStream in = validator.inspecting(stalling, "toy", DiskFormat.QED)) {
            assertThat(in.skip(100_000)).isEqualTo(100_000);
            ValidationReport report = in.drainAndReport();

            assertThat(report.accepted()).as(report.findings().toString()).isTrue();
            assertThat(report.virtualSize()).hasValue(image.length);
        }
    }

    @Test
    void singleByteReadsOfAStallingStreamInventNoBytesAndEndWithTheVerdict() throws IOException {
        byte[] image = ToyInspector.image(10_000, 100);
        image[5000] = (byte) 0xff;
        InputStream stalling = new FilterInputStream(new ByteArrayInputStream(image)) {
            private boolean stall;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                stall = !stall;
                return stall ? 0 : super.read(b, off, len);
            }
        };
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        try (InspectingInputStream in = validator.inspecting(stalling, "toy")) {
            int b;
            while ((b = in.read()) >= 0) {
                copy.write(b);
            }
            assertThat(copy.toByteArray()).isEqualTo(image);
            assertThat(in.report().accepted()).as(in.report().findings().toString()).isTrue();
        }
    }

    /**
     * A made-up format whose header points to a chain of links just behind the kept head, each
     * link pointing to the next: every link is only known once the one before it has passed.
     */
    private static final class ChainInspector implements FormatInspector {
        @Override
        public DiskFormat format() {
            return DiskFormat.QED;
        }

        @Override
        public void inspect(ImageBytes image, InspectionBuilder result) {
            java.nio.ByteBuffer head = image.read(0, 4);
            if (head.remaining() < 4 || head.getInt(0) != 0x43484e21) {
                return;
            }
            result.magicFound();
            long link = StreamImageBytes.HEAD;
            while (link != 0) {
                link = image.readExactly(link, 8, "link").getLong(0);
            }
            result.matched().virtualSize(image.size());
        }

        static byte[] image(int links) {
            byte[] data = new byte[300 * 1024];
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(data);
            buffer.putInt(0, 0x43484e21);
            for (int i = 0; i < links; i++) {
                long at = StreamImageBytes.HEAD + 16L * i;
                buffer.putLong((int) at, i == links - 1 ? 0 : at + 16);
            }
            return data;
        }
    }
}
