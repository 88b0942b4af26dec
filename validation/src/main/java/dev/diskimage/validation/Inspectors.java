package dev.diskimage.validation;

import java.util.List;

/** The registry of every format inspector; detection always runs all of them. */
final class Inspectors {

    private static final List<FormatInspector> ALL = List.of(
            new Qcow2Inspector(),
            new QedInspector(),
            new VmdkInspector(),
            new VhdInspector(),
            new VhdxInspector(),
            new VdiInspector(),
            new LuksInspector(),
            new IsoInspector(),
            new ParallelsInspector(),
            new PartitionTableInspector());

    private Inspectors() {
    }

    /** One instance of each inspector; they are stateless and shared. */
    static List<FormatInspector> all() {
        return ALL;
    }
}
