fn main() -> std::process::ExitCode {
    kubectl_supportaccess::main_entry()
}
