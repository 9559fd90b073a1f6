@main struct FuzzReplay { static func main() {} }
