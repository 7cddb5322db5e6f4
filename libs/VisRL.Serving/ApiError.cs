using System.Text.Json.Nodes;

namespace VisRL.Serving;

/// <summary>
/// An error answer in the OpenAI form <c>{"error": {"message", "type", "param", "code"}}</c>; the message
/// names the field and what is wrong with it, so any OpenAI client shows something a user can act on.
/// </summary>
public sealed record ApiError(int Status, string Message, string? Param = null, string? Code = null, string Type = "invalid_request_error")
{
    public static ApiError Invalid(string param, string message, string? code = null) => new(400, message, param, code);

    public JsonObject ToJson() => new()
    {
        ["error"] = new JsonObject { ["message"] = Message, ["type"] = Type, ["param"] = Param, ["code"] = Code },
    };
}
