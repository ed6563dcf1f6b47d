using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RetinaScreen.Inference.Pathology;
using RetinaScreen.Inference.Screening;

namespace RetinaScreen.Inference;

/// <summary>The inference role, composed by the embedded host or run alone as an inference worker.</summary>
public static class InferenceModule
{
    public static IHostApplicationBuilder AddInference(this IHostApplicationBuilder builder)
    {
        builder.Services.AddFundusGrading(builder.Configuration);
        builder.Services.AddSingleton(sp => new FundusPhotographGrader(
            sp.GetRequiredService<Quality.GradabilityAssessor>(), sp.GetRequiredService<Engine.DrBatchingEngine>(), sp.GetRequiredService<Grading.ShadowGrader>()));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<Engine.ModelWarmup>();
        builder.Services.AddSlideAnalysis(builder.Configuration);
        return builder;
    }

    public static IBusRegistrationConfigurator AddInferenceConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<GradeImageConsumer, GradeImageConsumerDefinition>();
        bus.AddConsumer<AnalyzeSlideConsumer, AnalyzeSlideConsumerDefinition>();
        bus.AddConsumer<GradingFaultConsumer, GradingFaultConsumerDefinition>();
        return bus;
    }
}
