using VisRL.Imaging.Geometry;
using VisRL.Imaging.Synthetic;

namespace VisRL.Method.Diversity;

/// <summary>
/// The diversity controller of DESIGN.md §1: the second candidate of an attempt is the model's second
/// sample unless it overlaps the first box (IoU &gt; 0.05); then it becomes a random box that does not
/// intersect the first one, with width and height within ±30 % of the first box's, the margin widening
/// by 0.1 every 20 failed tries.
/// <para>Mirrors VisRL data_gen/generate.py (<c>process_result</c> with <c>bad_generate</c>, and
/// <c>generate_random_bounding_box</c>): the IoU test is against the first box; width and height are
/// drawn uniformly from the margin window, the top-left uniformly from [0, 1 − w] × [0, 1 − h]; a box is
/// accepted when it is separated along x or y (touching edges allowed: intersection 0, so IoU 0).
/// The reference computes IoU on pixel boxes shifted by expand2square; a common translation and
/// per-axis scale leave IoU unchanged, so IoU on normalized boxes is the same number.</para>
/// <para>Deliberate differences, each because the reference is ambiguous or wrong there:
/// (1) the reference widens at <c>i % 20 == 0</c> including i = 0, so its first 20 tries already use
/// ±40 %; here tries 0–19 use ±30 % as the paper says; (2) the reference lets w exceed 1 (then
/// uniform(0, 1 − w) puts the box partly outside the image); here w, h ≤ 1 so every box is inside the
/// image; (3) the reference raises after max_attempts and drops the whole attempt; here a bounded
/// number of tries is followed by the largest feasible non-overlapping box, or
/// <see cref="DiversityOutcome.Infeasible"/> — never an exception, never an endless loop;
/// (4) an unparseable second sample (the reference drops the attempt) is replaced like an
/// overlapping one, so the attempt still yields a contrasting candidate; (5) randomness comes from a
/// seed (xoshiro256**), not the global <c>random</c>, so a redelivered message gets the same box.</para>
/// </summary>
public static class DiversityController
{
    /// <param name="first">The model's own box (normalized xyxy); ordered and clamped to the image first.</param>
    /// <param name="second">The second sample's box, or null when it did not parse (a non-finite box counts as unparsed).</param>
    /// <param name="seed">Seeds the PRNG; the same inputs and seed always give the same choice.</param>
    public static DiversityChoice Choose(Box first, Box? second, ulong seed, DiversityOptions? options = null)
    {
        options ??= DiversityOptions.Default;
        options.Validate();

        // A non-finite first box has no geometry to test against; a non-finite second one counts as unparsed.
        if (!IsFinite(first))
            return new DiversityChoice(DiversityOutcome.Infeasible, null, null, 0, options.SizeMargin, $"the first box {first} is not finite");
        if (second is { } sb && !IsFinite(sb)) second = null;

        double? sampledIou = second is { } s ? BoxIou.Iou(s, first) : null;
        if (sampledIou is { } iou && iou <= options.IouThreshold)
            return new DiversityChoice(DiversityOutcome.Kept, second, iou, 0, options.SizeMargin);

        var anchor = Normalize(first);
        // A degenerate first box has no size to mimic; MinSide stands in for a zero side.
        double baseWidth = Math.Max(anchor.Width, options.MinSide), baseHeight = Math.Max(anchor.Height, options.MinSide);
        var rng = new Xoshiro256(seed);

        double margin = options.SizeMargin;
        for (int i = 0; i < options.MaxTries; i++)
        {
            margin = MarginAt(i, options);
            var (wLo, wHi) = SideRange(baseWidth, margin, options.MinSide);
            var (hLo, hHi) = SideRange(baseHeight, margin, options.MinSide);
            double w = wLo + (wHi - wLo) * rng.NextDouble();
            double h = hLo + (hHi - hLo) * rng.NextDouble();
            double x = (1 - w) * rng.NextDouble();
            double y = (1 - h) * rng.NextDouble();
            var box = new Box(x, y, Math.Min(1, x + w), Math.Min(1, y + h));
            if (BoxIou.Intersection(box, anchor) == 0)
                return new DiversityChoice(DiversityOutcome.Replaced, box, sampledIou, i + 1, margin);
        }

        return Fallback(anchor, baseWidth, baseHeight, margin, rng, sampledIou, options);
    }

    /// <summary>The size margin in force at 0-based try <paramref name="tryIndex"/>: 0.3 for tries 0–19, 0.4 for 20–39, …</summary>
    public static double MarginAt(int tryIndex, DiversityOptions? options = null)
    {
        options ??= DiversityOptions.Default;
        ArgumentOutOfRangeException.ThrowIfNegative(tryIndex);
        return options.SizeMargin + options.MarginStep * (tryIndex / options.TriesPerStep);
    }

    /// <summary>
    /// The largest box that avoids <paramref name="anchor"/>: it lies in one of the four free strips
    /// (left of, right of, above, below the anchor), capped at the widest size the last margin allowed.
    /// Ties go to the first strip in that order; the position inside the strip is random.
    /// </summary>
    private static DiversityChoice Fallback(Box anchor, double baseWidth, double baseHeight, double margin, Xoshiro256 rng,
        double? sampledIou, DiversityOptions options)
    {
        double capW = Math.Min(1, baseWidth * (1 + margin)), capH = Math.Min(1, baseHeight * (1 + margin));
        // (free width, free height) of each strip.
        ReadOnlySpan<(double W, double H)> strips =
        [
            (anchor.X1, 1), (1 - anchor.X2, 1), (1, anchor.Y1), (1, 1 - anchor.Y2),
        ];
        int best = -1;
        double bestArea = 0, bestW = 0, bestH = 0;
        for (int k = 0; k < strips.Length; k++)
        {
            double w = Math.Min(strips[k].W, capW), h = Math.Min(strips[k].H, capH);
            if (w < options.MinSide || h < options.MinSide || !(w * h > bestArea)) continue;
            (best, bestArea, bestW, bestH) = (k, w * h, w, h);
        }

        if (best < 0)
            return new DiversityChoice(DiversityOutcome.Infeasible, null, sampledIou, options.MaxTries, margin,
                $"no box of side ≥ {options.MinSide} fits beside the first box {anchor}");

        // Offsets are measured away from the anchor (and never negative), so rounding cannot push the box into it.
        double u = rng.NextDouble(), v = rng.NextDouble();
        Box box;
        switch (best)
        {
            case 0: // left of the anchor
            {
                double x2 = anchor.X1 - u * Math.Max(0, anchor.X1 - bestW), y1 = v * (1 - bestH);
                box = new Box(Math.Max(0, x2 - bestW), y1, x2, Math.Min(1, y1 + bestH));
                break;
            }
            case 1: // right of the anchor
            {
                double x1 = anchor.X2 + u * Math.Max(0, 1 - anchor.X2 - bestW), y1 = v * (1 - bestH);
                box = new Box(x1, y1, Math.Min(1, x1 + bestW), Math.Min(1, y1 + bestH));
                break;
            }
            case 2: // above the anchor
            {
                double y2 = anchor.Y1 - v * Math.Max(0, anchor.Y1 - bestH), x1 = u * (1 - bestW);
                box = new Box(x1, Math.Max(0, y2 - bestH), Math.Min(1, x1 + bestW), y2);
                break;
            }
            default: // below the anchor
            {
                double y1 = anchor.Y2 + v * Math.Max(0, 1 - anchor.Y2 - bestH), x1 = u * (1 - bestW);
                box = new Box(x1, y1, Math.Min(1, x1 + bestW), Math.Min(1, y1 + bestH));
                break;
            }
        }
        return new DiversityChoice(DiversityOutcome.Fallback, box, sampledIou, options.MaxTries, margin,
            $"no random box fitted in {options.MaxTries} tries; took the largest free box beside the first one");
    }

    /// <summary>The side window [side·(1 − m), side·(1 + m)] kept within [MinSide, 1].</summary>
    private static (double Lo, double Hi) SideRange(double side, double margin, double minSide)
    {
        double hi = Math.Min(1, side * (1 + margin));
        double lo = Math.Min(hi, Math.Max(side * (1 - margin), minSide));
        return (lo, hi);
    }

    private static Box Normalize(Box b)
    {
        var c = b.Clamp();
        return new Box(Math.Min(c.X1, c.X2), Math.Min(c.Y1, c.Y2), Math.Max(c.X1, c.X2), Math.Max(c.Y1, c.Y2));
    }

    private static bool IsFinite(Box b) => double.IsFinite(b.X1) && double.IsFinite(b.Y1) && double.IsFinite(b.X2) && double.IsFinite(b.Y2);
}
