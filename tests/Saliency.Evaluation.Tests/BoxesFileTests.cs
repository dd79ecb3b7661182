using Saliency.Evaluation;

namespace Saliency.Tests;

public sealed class BoxesFileTests
{
    private static readonly string[] s_labels = ["T-shirt/top", "Trouser", "Pullover"];

    [Fact]
    public void Rows_name_the_class_by_index_or_label_and_an_image_may_have_several()
    {
        var file = BoxesFile.Parse(
            ["image,class,x0,y0,x1,y1", "a.png,1,0,0,28,28", "a.png,trouser,30,30,58,58", "b.png,T-shirt/top, 5, 6, 7, 8", ""],
            s_labels);

        file.Errors.Should().BeEmpty();
        file.For("a.png").Should().Equal(
            new GroundTruthBox("a.png", 1, new BoundingBox(0, 0, 28, 28)), new GroundTruthBox("a.png", 1, new BoundingBox(30, 30, 58, 58)));
        file.For("b.png").Should().Equal(new GroundTruthBox("b.png", 0, new BoundingBox(5, 6, 7, 8)));
        file.For("c.png").Should().BeEmpty();
    }

    [Fact]
    public void Each_bad_row_is_one_error_naming_its_line_and_the_good_rows_stay()
    {
        var file = BoxesFile.Parse(
            ["image,class,x0,y0,x1,y1", "a.png,1,0,0,28", "a.png,hat,0,0,1,1", "a.png,7,0,0,1,1", "a.png,1,5,0,5,9", "a.png,1,-1,0,4,4", "ok.png,2,0,0,1,1"],
            s_labels, "boxes.csv");

        file.Boxes.Should().Equal(new GroundTruthBox("ok.png", 2, new BoundingBox(0, 0, 1, 1)));
        file.Errors.Should().Equal(
            "boxes.csv line 2: expected 6 fields (image,class,x0,y0,x1,y1), found 5; the row is skipped.",
            "boxes.csv line 3: class 'hat' is neither an index nor one of the model's labels (T-shirt/top, Trouser, Pullover); the row is skipped.",
            "boxes.csv line 4: class 7 is out of range: the model has 3 classes (0–2); the row is skipped.",
            "boxes.csv line 5: the box is empty: x1 (5) must exceed x0 (5) and y1 (9) must exceed y0 (0); x1,y1 are exclusive; the row is skipped.",
            "boxes.csv line 6: x0 '-1' is not a non-negative whole number of pixels; the row is skipped.");
    }

    [Fact]
    public void A_file_without_the_header_is_refused_as_a_whole()
    {
        var parse = () => BoxesFile.Parse(["a.png,1,0,0,28,28"], s_labels, "boxes.csv");
        parse.Should().Throw<InvalidDataException>()
            .WithMessage("boxes.csv line 1: expected the header 'image,class,x0,y0,x1,y1', found 'a.png,1,0,0,28,28'.");
    }
}
