namespace VisRL.Imaging.Synthetic;

/// <summary>A shape fill color with the word questions use for it.</summary>
public sealed record NamedColor(string Name, Rgb Value)
{
    /// <summary>Fills bright enough that black glyph ink keeps strong contrast on each.</summary>
    public static IReadOnlyList<NamedColor> Defaults { get; } =
    [
        new("red", new Rgb(225, 60, 55)),
        new("green", new Rgb(70, 180, 70)),
        new("blue", new Rgb(80, 130, 240)),
        new("yellow", new Rgb(240, 205, 45)),
        new("purple", new Rgb(165, 105, 215)),
        new("orange", new Rgb(245, 145, 45)),
        new("cyan", new Rgb(70, 200, 210)),
    ];
}
