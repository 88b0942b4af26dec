package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.testing.OneBytePerReadChannel;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * The whole validator over arbitrary bytes: every inspector, detection and policy together must
 * never throw, and validating the bytes as a stream must reach the same verdict, format and
 * virtual size as validating them as a file, except where the stream honestly says it could not
 * keep a region. Nothing a report says may carry a raw control character, whatever the bytes.
 */
class ImageValidatorFuzzTest {
    private static final Set<FindingCode> STREAM_ONLY =
            Set.of(FindingCode.STREAM_REGION_UNAVAILABLE, FindingCode.READ_BUDGET_EXCEEDED);

    private final ImageValidator validator = ImageValidator.of(ImagePolicy.defaults());

    @ShortFuzzTest
    void validatesFilesAndStreamsAlike(byte[] data) throws IOException {
        if (data.length < 2) {
            return;
        }
        int chunk = 1 + (data[0] & 0xff) * 37;
        byte[] image = Arrays.copyOfRange(data, 1, data.length);

        ValidationReport fromFile = validator.validate("fuzz",
                new FileImageBytes(new OneBytePerReadChannel(image), image.length, ImagePolicy.DEFAULT_READ_BUDGET),
                Optional.empty());
        ValidationReport fromStream;
        try (InspectingInputStream in = validator.inspecting(chunked(image, chunk), "fuzz")) {
            fromStream = in.drainAndReport();
        }

        assertPrintable(fromFile);
        assertPrintable(fromStream);
        boolean streamLimited = fromStream.findings().stream().map(Finding::code).anyMatch(STREAM_ONLY::contains);
        if (!streamLimited) {
            assertThat(fromStream.verdict()).isEqualTo(fromFile.verdict());
            assertThat(fromStream.detectedFormat()).isEqualTo(fromFile.detectedFormat());
            assertThat(fromStream.virtualSize()).isEqualTo(fromFile.virtualSize());
        }
    }

    /** Every string a report carries from the image is escaped: no control or format character. */
    static void assertPrintable(ValidationReport report) {
        java.util.List<String> texts = new java.util.ArrayList<>();
        report.findings().forEach(f -> texts.add(f.message()));
        report.references().forEach(r -> texts.add(r.target()));
        report.variant().ifPresent(texts::add);
        report.details().values().stream().filter(String.class::isInstance).map(String.class::cast)
                .forEach(texts::add);
        for (String text : texts) {
            assertThat(text.codePoints().noneMatch(c -> Character.isISOControl(c)
                    || Character.getType(c) == Character.FORMAT)).as(text).isTrue();
        }
    }

    private static InputStream chunked(byte[] data, int chunk) {
        return new FilterInputStream(new ByteArrayInputStream(data)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, chunk));
            }
        };
    }
}
