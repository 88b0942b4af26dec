package dev.diskimage.validation;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The registry of {@link ForeignFormat} sniffers, one for every format qemu-img 7.2 probes that
 * has no inspector here, and the one place that runs them. Together with the inspectors they
 * cover every driver with a {@code bdrv_probe} in qemu 7.2 (see {@code docs/validation.md}).
 */
final class ForeignFormats {

    private static final List<ForeignFormat> ALL = List.of(
            LeadingMagicSniffer.BOCHS,
            LeadingMagicSniffer.CLOOP,
            new DmgSniffer(),
            new QcowV1Sniffer());

    private ForeignFormats() {
    }

    /** One instance of each sniffer; they are stateless and shared. */
    static List<ForeignFormat> all() {
        return ALL;
    }

    /**
     * Runs every sniffer over {@code image}: an {@link FindingCode#UNSUPPORTED_FORMAT} rejection
     * for each that matches, and the failure of each that could not look (read budget, I/O, a
     * stream region already gone), which rejects too. Empty when no foreign format matches.
     */
    static List<Finding> sniff(List<ForeignFormat> formats, ImageBytes image) {
        List<Finding> findings = new ArrayList<>();
        for (ForeignFormat format : formats) {
            try {
                OptionalLong evidence = format.sniff(image);
                if (evidence.isPresent()) {
                    findings.add(Finding.reject(FindingCode.UNSUPPORTED_FORMAT, evidence.getAsLong(),
                            format.qemuDriver() + ": the bytes are a " + format.description()
                                    + " image, which qemu would open as " + format.qemuDriver()
                                    + "; not a supported format"));
                }
            } catch (InspectionFailure failure) {
                findings.add(Finding.reject(failure.code(), failure.offset(),
                        format.qemuDriver() + ": " + failure.getMessage()));
            }
        }
        return findings;
    }
}
