namespace VisRL.Imaging.Geometry;

/// <summary>
/// Intersection over union exactly as torchvision.ops.box_iou (used by VisRL's data_gen/generate.py):
/// area = (x2-x1)*(y2-y1); inter = clamp(min(x2)-max(x1), 0) * clamp(min(y2)-max(y1), 0);
/// iou = inter / (area_a + area_b - inter).
/// One deliberate difference: where torchvision divides 0 by 0 (both boxes zero-area) and
/// returns NaN, this returns 0, so an unusable prediction counts as a miss, never as NaN.
/// </summary>
public static class BoxIou
{
    public static double Iou(Box a, Box b)
    {
        double inter = Intersection(a, b);
        double union = a.Area + b.Area - inter;
        if (!(union > 0)) return 0;
        return inter / union;
    }

    public static double Intersection(Box a, Box b)
    {
        double w = Math.Max(0, Math.Min(a.X2, b.X2) - Math.Max(a.X1, b.X1));
        double h = Math.Max(0, Math.Min(a.Y2, b.Y2) - Math.Max(a.Y1, b.Y1));
        return w * h;
    }

    /// <summary>Visual-CoT detection hit: IoU strictly greater than 0.5.</summary>
    public static bool IsHit(Box predicted, Box truth, double threshold = 0.5) => Iou(predicted, truth) > threshold;
}
