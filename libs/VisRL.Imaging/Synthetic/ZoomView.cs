using VisRL.Imaging.Geometry;

namespace VisRL.Imaging.Synthetic;

/// <summary>One zoomed view: the zoom factor, the window it shows (normalized), and the pixels.</summary>
public sealed record ZoomView(double Zoom, Box Window, RgbImage Image);
