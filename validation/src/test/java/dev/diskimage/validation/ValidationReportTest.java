package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.DiskFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The report's own guarantees: the verdict agrees with the findings, and the derived views. */
class ValidationReportTest {

    private static ValidationReport report(Verdict verdict, List<Finding> findings) {
        return new ValidationReport("disk.img", verdict, Optional.empty(), Optional.of(DiskFormat.RAW),
                Optional.empty(), OptionalLong.of(512), findings, Map.of(), 512, List.of());
    }

    @Test
    void aVerdictThatContradictsTheFindingsIsRefused() {
        Finding rejection = Finding.reject(FindingCode.TRUNCATED, 0, "cut");
        Finding warning = Finding.warn(FindingCode.EMPTY_FILE, Finding.NO_OFFSET, "empty");

        assertThatThrownBy(() -> report(Verdict.ACCEPT, List.of(warning, rejection)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("verdict ACCEPT contradicts");
        assertThatThrownBy(() -> report(Verdict.REJECT, List.of(warning)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("verdict REJECT contradicts");
        assertThat(report(Verdict.ACCEPT, List.of(warning)).accepted()).isTrue();
        assertThat(report(Verdict.REJECT, List.of(rejection)).accepted()).isFalse();
    }

    @Test
    void onlyARejectedPathOrSystemProblemMakesAReportUninspectable() {
        Finding unreadable = Finding.reject(FindingCode.UNREADABLE, Finding.NO_OFFSET, "gone");
        Finding special = Finding.reject(FindingCode.NOT_A_REGULAR_FILE, Finding.NO_OFFSET, "fifo");
        Finding truncated = Finding.reject(FindingCode.TRUNCATED, 0, "cut");
        Finding warnedUnreadable = Finding.warn(FindingCode.UNREADABLE, Finding.NO_OFFSET, "a note");

        assertThat(report(Verdict.REJECT, List.of(truncated, unreadable)).uninspectable()).isTrue();
        assertThat(report(Verdict.REJECT, List.of(special)).uninspectable()).isTrue();
        assertThat(report(Verdict.REJECT, List.of(truncated)).uninspectable()).isFalse();
        assertThat(report(Verdict.ACCEPT, List.of(warnedUnreadable)).uninspectable()).isFalse();
    }

    @Test
    void rejectionsAreTheRejectingFindingsInOrderAndTheReportCannotBeChangedAfterwards() {
        Finding first = Finding.reject(FindingCode.TRUNCATED, 0, "cut");
        Finding warning = Finding.warn(FindingCode.EMPTY_FILE, Finding.NO_OFFSET, "empty");
        Finding second = Finding.reject(FindingCode.FORMAT_MISMATCH, Finding.NO_OFFSET, "declared");
        List<Finding> findings = new ArrayList<>(List.of(first, warning, second));

        ValidationReport report = report(Verdict.REJECT, findings);
        findings.clear();

        assertThat(report.rejections()).containsExactly(first, second);
        assertThat(report.findings()).containsExactly(first, warning, second);
        assertThat(report(Verdict.ACCEPT, List.of(warning)).rejections()).isEmpty();
    }
}
