package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.DiskFormat;
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
}
