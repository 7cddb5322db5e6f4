namespace VisRL.Modeling.Tests;

/// <summary>A long measurement (minutes of training) that runs only when VISRL_MODELING_EXPERIMENT=1; otherwise reported as skipped.</summary>
public sealed class ExperimentFactAttribute : FactAttribute
{
    public ExperimentFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("VISRL_MODELING_EXPERIMENT") != "1")
            Skip = "a measurement run of minutes; set VISRL_MODELING_EXPERIMENT=1 to run it";
    }
}
