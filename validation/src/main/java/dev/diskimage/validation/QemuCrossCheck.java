package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageException;
import dev.diskimage.core.ProgramUnavailableException;
import dev.diskimage.core.QemuImg;
import dev.diskimage.core.QemuImgFormatSpecific;
import dev.diskimage.core.QemuImgInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * A second opinion, asked only about images the inspectors already accepted: {@code qemu-img
 * info -f <detected>} under process limits, whose answer must agree with the inspector's on
 * format, virtual size, backing file and data file. Disagreement means one of the two parsers
 * reads the bytes differently, which is exactly what an attacker exploits, so it rejects.
 */
final class QemuCrossCheck {
    private final QemuImg qemu;

    QemuCrossCheck(QemuImg qemu) {
        this.qemu = qemu;
    }

    List<Finding> check(Path image, DiskFormat detected, OptionalLong virtualSize, List<ExternalReference> references) {
        QemuImgInfo info;
        try {
            info = qemu.info(image, detected);
        } catch (ProgramUnavailableException setUpError) {
            // No qemu-img (or prlimit) to ask is the caller's set-up problem, not the image's.
            throw setUpError;
        } catch (ImageException e) {
            return List.of(Finding.reject(FindingCode.QEMU_FAILED, Finding.NO_OFFSET,
                    "qemu-img info -f " + detected.qemuName() + " failed under process limits: " + e.getMessage()));
        }
        List<Finding> findings = new ArrayList<>();
        boolean sameDriver = info.diskFormat().map(format -> format.sameQemuDriverAs(detected)).orElse(false);
        if (!sameDriver) {
            findings.add(disagree("qemu-img reports format '" + info.formatName() + "', the inspector "
                    + detected.qemuName()));
        }
        if (virtualSize.isPresent() && virtualSize.getAsLong() != info.virtualSize()) {
            findings.add(disagree("qemu-img reports virtual size " + info.virtualSize() + ", the inspector "
                    + virtualSize.getAsLong()));
        }
        boolean inspectorBacking = references.stream().anyMatch(r -> r.kind() == ExternalReference.Kind.BACKING);
        if (info.backingFilename().isPresent() && !inspectorBacking) {
            findings.add(disagree("qemu-img reports backing file '" + info.backingFilename().get()
                    + "' that the inspector did not find"));
        }
        if (inspectorBacking && info.backingFilename().isEmpty() && reportsBackingFiles(detected)) {
            findings.add(disagree("the inspector found a backing file that qemu-img does not report"));
        }
        info.formatSpecific()
                .filter(QemuImgFormatSpecific.Qcow2.class::isInstance)
                .map(QemuImgFormatSpecific.Qcow2.class::cast)
                .flatMap(QemuImgFormatSpecific.Qcow2::dataFile)
                .filter(dataFile -> references.stream().noneMatch(r -> r.kind() == ExternalReference.Kind.DATA_FILE))
                .ifPresent(dataFile -> findings.add(disagree("qemu-img reports data file '" + dataFile
                        + "' that the inspector did not find")));
        return findings;
    }

    /** Formats whose qemu driver reports a backing file in {@code qemu-img info}. */
    private static boolean reportsBackingFiles(DiskFormat format) {
        return format == DiskFormat.QCOW2 || format == DiskFormat.QED || format == DiskFormat.VMDK;
    }

    private static Finding disagree(String message) {
        return Finding.reject(FindingCode.QEMU_DISAGREES, Finding.NO_OFFSET, message);
    }
}
