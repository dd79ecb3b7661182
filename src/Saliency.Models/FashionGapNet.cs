using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Saliency.Models;

/// <summary>
/// The demo network, shaped for Class Activation Mapping (Zhou et al. 2016): six 3×3 convolutions with batch
/// normalisation (16, 32, 32, 64, 64 and 64 channels; 2×2 max pooling after the first and the third) form
/// <c>features</c>, whose 64×24×24 output for a 96×96 grayscale input is globally average-pooled and fed to one
/// <c>Linear</c> over the ten Fashion-MNIST classes.
/// </summary>
/// <remarks>
/// Every ReLU is a module invoked through <c>call</c>, so Guided Backprop guides all of them exactly. The 24×24 map
/// (one cell per 4 input pixels) keeps two 28×28 items on a 96×96 canvas apart; with the three convolutions at that
/// resolution each cell has a 38-pixel receptive field, so a cell over an item's middle sees the whole item.
/// </remarks>
public sealed partial class FashionGapNet : Module<Tensor, Tensor>
{
    /// <summary>The number of classes.</summary>
    public const int Classes = 10;

    [ExplainLayer(IsDefault = true)]
    private readonly Sequential features;

    [ClassifierHead]
    private readonly Linear fc;

    /// <summary>Builds the network with PyTorch's default initialisation (seed it with <c>torch.manual_seed</c>).</summary>
    public FashionGapNet()
        : base(nameof(FashionGapNet))
    {
        features = Sequential(
            ("conv1", Conv2d(1, 16, 3, padding: 1)), ("bn1", BatchNorm2d(16)), ("relu1", ReLU()), ("pool1", MaxPool2d(2)),
            ("conv2", Conv2d(16, 32, 3, padding: 1)), ("bn2", BatchNorm2d(32)), ("relu2", ReLU()),
            ("conv3", Conv2d(32, 32, 3, padding: 1)), ("bn3", BatchNorm2d(32)), ("relu3", ReLU()), ("pool2", MaxPool2d(2)),
            ("conv4", Conv2d(32, 64, 3, padding: 1)), ("bn4", BatchNorm2d(64)), ("relu4", ReLU()),
            ("conv5", Conv2d(64, 64, 3, padding: 1)), ("bn5", BatchNorm2d(64)), ("relu5", ReLU()),
            ("conv6", Conv2d(64, 64, 3, padding: 1)), ("bn6", BatchNorm2d(64)), ("relu6", ReLU()));
        fc = Linear(64, Classes);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => fc.call(features.call(input).mean([2, 3]));

    /// <summary>
    /// The training loss for a batch: binary cross-entropy of the logits against 2-hot targets, plus
    /// <paramref name="camPenalty"/> times the mean of <c>ReLU(−CAM)</c> over classes and positions (see
    /// <see cref="Training.TrainingOptions.CamPenalty"/>).
    /// </summary>
    /// <param name="input">The normalised batch <c>[B,1,H,W]</c>.</param>
    /// <param name="targets">The 2-hot targets <c>[B,10]</c>.</param>
    /// <param name="camPenalty">The penalty's weight; 0 for plain cross-entropy.</param>
    /// <returns>The scalar loss.</returns>
    public Tensor TrainingLoss(Tensor input, Tensor targets, double camPenalty)
    {
        var maps = features.call(input);
        var loss = nn.functional.binary_cross_entropy_with_logits(fc.call(maps.mean([2, 3])), targets);
        if (camPenalty <= 0)
        {
            return loss;
        }

        // Scalars held for the whole call: a temporary Scalar may be finalised while libtorch still reads it.
        using var weight = camPenalty.ToScalar();
        var cams = nn.functional.conv2d(maps, fc.weight!.unsqueeze(-1).unsqueeze(-1));
        var penalty = nn.functional.relu(cams.neg()).mean();
        return loss.add(penalty, weight);
    }
}
