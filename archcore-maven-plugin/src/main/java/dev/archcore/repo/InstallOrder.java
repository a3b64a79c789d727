package dev.archcore.repo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * libalpm's {@code _alpm_sortbydeps} (deps.c): a depth-first walk over "depends on" edges that emits each
 * package after its dependencies. Children are visited in transaction order and the walk starts at the first
 * package, so the order is pacman's, cycles included: the package first reached in a cycle goes in after the
 * others, before one of its dependencies, and pacman warns about it.
 */
final class InstallOrder {
    private enum State { UNPROCESSED, PROCESSING, PROCESSED }

    private static final class Vertex {
        final Candidate pkg;
        final List<Vertex> children = new ArrayList<>();
        int next;
        Vertex parent;
        State state = State.UNPROCESSED;

        Vertex(Candidate pkg) {
            this.pkg = pkg;
        }
    }

    private InstallOrder() {
    }

    /**
     * @param targets   the transaction's packages in resolution order
     * @param installed installed packages; those the transaction does not replace take part in the walk (a target
     *                  may reach another through one) but are not returned
     * @param cycles    receives pacman's "will be installed before its dependency" warnings
     */
    static List<Candidate> sort(List<Candidate> targets, List<Candidate> installed, Consumer<String> cycles) {
        if (targets.isEmpty()) {
            return List.of();
        }
        Set<Candidate> inTransaction = Collections.newSetFromMap(new IdentityHashMap<>());
        inTransaction.addAll(targets);
        List<Vertex> vertices = graph(targets, installed);

        List<Candidate> sorted = new ArrayList<>(targets.size());
        int i = 0;
        Vertex vertex = vertices.get(0);
        while (i < vertices.size()) {
            vertex.state = State.PROCESSING;
            boolean switched = false;
            while (vertex.next < vertex.children.size() && !switched) {
                Vertex child = vertex.children.get(vertex.next++);
                if (child.state == State.UNPROCESSED) {
                    switched = true;
                    child.parent = vertex;
                    vertex = child;
                } else if (child.state == State.PROCESSING) {
                    warnCycle(inTransaction, vertex, child, cycles);
                }
            }
            if (!switched) {
                if (inTransaction.contains(vertex.pkg)) {
                    sorted.add(vertex.pkg);
                }
                vertex.state = State.PROCESSED;
                vertex = vertex.parent;
                if (vertex == null) {
                    for (i++; i < vertices.size(); i++) {
                        vertex = vertices.get(i);
                        if (vertex.state == State.UNPROCESSED) {
                            break;
                        }
                    }
                }
            }
        }
        return sorted;
    }

    /** dep_graph_init: edges in vertex order, installed packages added lazily when a package depends on them. */
    private static List<Vertex> graph(List<Candidate> targets, List<Candidate> installed) {
        List<Vertex> vertices = new ArrayList<>();
        targets.forEach(t -> vertices.add(new Vertex(t)));
        List<Candidate> local = new ArrayList<>(installed);
        local.removeIf(l -> targets.stream().anyMatch(t -> t.name.equals(l.name)));
        for (int i = 0; i < vertices.size(); i++) {
            Vertex vi = vertices.get(i);
            for (Vertex vj : vertices) {
                if (vi.pkg.dependsOn(vj.pkg)) {
                    vi.children.add(vj);
                }
            }
            for (Iterator<Candidate> it = local.iterator(); it.hasNext(); ) {
                Candidate l = it.next();
                if (vi.pkg.dependsOn(l)) {
                    Vertex vl = new Vertex(l);
                    vertices.add(vl);
                    vi.children.add(vl);
                    it.remove();
                }
            }
        }
        return vertices;
    }

    /** _alpm_warn_dep_cycle: {@code child} depends on, and is required by, {@code ancestor}. */
    private static void warnCycle(Set<Candidate> inTransaction, Vertex ancestor, Vertex child, Consumer<String> cycles) {
        if (!inTransaction.contains(child.pkg)) {
            return;
        }
        while (ancestor != null && !inTransaction.contains(ancestor.pkg)) {
            ancestor = ancestor.parent;
        }
        if (ancestor != null && ancestor != child) {
            cycles.accept("dependency cycle: " + ancestor.pkg.name + " will be installed before its "
                    + child.pkg.name + " dependency");
        }
    }
}
