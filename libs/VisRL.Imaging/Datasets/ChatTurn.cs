namespace VisRL.Imaging.Datasets;

/// <summary>One message of a prompt: user (true) or assistant (false), with its text.</summary>
public sealed record ChatTurn(bool FromUser, string Text)
{
    public static ChatTurn User(string text) => new(true, text);
    public static ChatTurn Assistant(string text) => new(false, text);
}
