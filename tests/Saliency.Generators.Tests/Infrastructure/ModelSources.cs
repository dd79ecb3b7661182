namespace Saliency.Generators.Tests.Infrastructure;

/// <summary>Model snippets that compile without any diagnostic once the generator has run.</summary>
internal static class ModelSources
{
    public const string Usings = """
        using Saliency;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        """;

    /// <summary>The model of the brief: a default layer, a named layer, a head and two functional ReLUs in forward.</summary>
    public const string SmallNet = Usings + """
        namespace Demo
        {
            public sealed partial class SmallNet : nn.Module<Tensor, Tensor>
            {
                [ExplainLayer(IsDefault = true)] private readonly Sequential features;
                [ExplainLayer("block")] private Conv2d conv;
                [ClassifierHead] private readonly Linear fc;

                public SmallNet() : base(nameof(SmallNet))
                {
                    features = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU());
                    conv = nn.Conv2d(8, 8, 3);
                    fc = nn.Linear(8, 10);
                    RegisterComponents();
                }

                public override Tensor forward(Tensor input)
                {
                    var x = nn.functional.relu(conv.call(features.call(input)));
                    return fc.call(x.mean(new long[] { 2, 3 }).relu_());
                }
            }
        }
        """;

    /// <summary>A model without functional ReLU and with one layer: nothing for the analyzer to say.</summary>
    public const string CleanNet = Usings + """
        namespace Demo;

        public sealed partial class CleanNet : nn.Module<Tensor, Tensor>
        {
            private readonly ReLU relu;
            [ExplainLayer] private readonly Sequential features;
            [ClassifierHead] private readonly Linear fc;

            public CleanNet() : base(nameof(CleanNet))
            {
                relu = nn.ReLU();
                features = nn.Sequential(nn.Conv2d(3, 8, 3));
                fc = nn.Linear(8, 10);
                RegisterComponents();
            }

            public override Tensor forward(Tensor input) => fc.call(relu.call(features.call(input)).mean(new long[] { 2, 3 }));
        }
        """;

    public const string Nested = Usings + """
        namespace Demo.Zoo
        {
            public static partial class Models
            {
                internal partial struct Holder
                {
                    public sealed partial class Inner : nn.Module<Tensor, Tensor>
                    {
                        [ExplainLayer] private readonly Conv2d conv;

                        public Inner() : base(nameof(Inner))
                        {
                            conv = nn.Conv2d(3, 8, 3);
                            RegisterComponents();
                        }

                        public override Tensor forward(Tensor input) => conv.call(input);
                    }
                }
            }
        }
        """;

    public const string Generic = Usings + """
        namespace Demo;

        public partial class Backbone<TLayer> : nn.Module<Tensor, Tensor>
            where TLayer : nn.Module<Tensor, Tensor>
        {
            [ExplainLayer(IsDefault = true)] private readonly TLayer body;
            [ExplainLayer] private readonly Sequential head;

            public Backbone(TLayer body) : base("Backbone")
            {
                this.body = body;
                head = nn.Sequential(nn.Identity());
                RegisterComponents();
            }

            public override Tensor forward(Tensor input) => head.call(body.call(input));
        }
        """;

    public const string FileScoped = Usings + """
        namespace Demo.FileScoped;

        internal sealed partial class Tiny : nn.Module<Tensor, Tensor>
        {
            [ExplainLayer] private readonly Conv2d conv;

            public Tiny() : base(nameof(Tiny))
            {
                conv = nn.Conv2d(3, 8, 3);
                RegisterComponents();
            }

            public override Tensor forward(Tensor input) => conv.call(input);
        }
        """;

    public const string GlobalNamespace = Usings + """
        public sealed partial class GlobalNet : nn.Module<Tensor, Tensor>
        {
            [ExplainLayer] private readonly Conv2d conv;

            public GlobalNet() : base(nameof(GlobalNet))
            {
                conv = nn.Conv2d(3, 8, 3);
                RegisterComponents();
            }

            public override Tensor forward(Tensor input) => conv.call(input);
        }
        """;

    public const string Property = Usings + """
        namespace Demo;

        public sealed partial class PropertyNet : nn.Module<Tensor, Tensor>
        {
            public PropertyNet() : base(nameof(PropertyNet))
            {
                Features = nn.Sequential(nn.Conv2d(3, 8, 3));
                Head = nn.Linear(8, 10);
                RegisterComponents();
            }

            [ExplainLayer] public Sequential Features { get; }

            [ClassifierHead] public Linear Head { get; }

            public override Tensor forward(Tensor input) => Head.call(Features.call(input).mean(new long[] { 2, 3 }));
        }
        """;

    /// <summary>Explicit names, names that need care as identifiers, a keyword member and a field with two declarators.</summary>
    public const string Names = Usings + """
        namespace Demo;

        public sealed partial class NamedNet : nn.Module<Tensor, Tensor>
        {
            [ExplainLayer("stage4", IsDefault = true)] private readonly Sequential layer4;
            [ExplainLayer] private readonly Conv2d conv_1, conv1;
            [ExplainLayer("block.0")] private readonly Conv2d @class;
            [ExplainLayer("layers")] private readonly Conv2d? last;

            public NamedNet() : base(nameof(NamedNet))
            {
                layer4 = nn.Sequential(nn.Identity());
                conv_1 = nn.Conv2d(3, 3, 1);
                conv1 = nn.Conv2d(3, 3, 1);
                @class = nn.Conv2d(3, 3, 1);
                last = nn.Conv2d(3, 3, 1);
                RegisterComponents();
            }

            public override Tensor forward(Tensor input) =>
                last!.call(@class.call(conv1.call(conv_1.call(layer4.call(input)))));
        }
        """;

    /// <summary>One model in two files: the annotations in one, forward (with a functional ReLU) in the other.</summary>
    /// <summary>
    /// A vision transformer: a token layer with a class token (the default <c>PrefixTokens</c>), a named token layer
    /// without one, a non-square grid with register tokens, and a layer of maps without a grid.
    /// </summary>
    public const string Tokens = Usings + """
        namespace Demo;

        public sealed partial class TokenNet : nn.Module<Tensor, Tensor>
        {
            [ExplainLayer] private readonly Conv2d stem = nn.Conv2d(3, 8, 4, stride: 4);
            [ExplainLayer("patches", TokenGridHeight = 4, TokenGridWidth = 4, PrefixTokens = 0)] private readonly Identity patches = nn.Identity();
            [ExplainLayer(IsDefault = true, TokenGridHeight = 4, TokenGridWidth = 4)] private readonly Sequential blocks = nn.Sequential(nn.Identity());
            [ExplainLayer("wide", TokenGridWidth = 8, TokenGridHeight = 2, PrefixTokens = 5)] private readonly Identity wide = nn.Identity();

            public TokenNet() : base(nameof(TokenNet)) => RegisterComponents();

            public override Tensor forward(Tensor input)
            {
                var tokens = patches.call(stem.call(input).flatten(2).transpose(1, 2));
                return wide.call(blocks.call(tokens));
            }
        }
        """;

    public const string SplitLayers = Usings + """
        namespace Demo;

        public sealed partial class SplitNet : nn.Module<Tensor, Tensor>
        {
            [ExplainLayer] private readonly Conv2d conv = nn.Conv2d(3, 8, 3);

            public SplitNet() : base(nameof(SplitNet)) => RegisterComponents();
        }
        """;

    public const string SplitForward = """
        using static TorchSharp.torch;

        namespace Demo;

        public sealed partial class SplitNet
        {
            public override Tensor forward(Tensor input) => nn.functional.relu(conv.call(input));
        }
        """;
}
